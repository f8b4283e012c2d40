namespace OrleansFlow.Sampling;

public enum LabelMode
{
    /// <summary>Unconditional: the model's null class (or no label for an unconditional model).</summary>
    None,

    /// <summary>Every sample gets the same label.</summary>
    Fixed,

    /// <summary>Sample i gets a label drawn uniformly from (job seed, i).</summary>
    Random,
}
