namespace OrleansFlow.Jobs;

/// <summary>Which images an FID job keeps besides its statistics.</summary>
public enum ImageOutput
{
    None,

    /// <summary>One PNG per sample.</summary>
    Png,

    /// <summary>One <c>samples.npz</c> with <c>arr_0</c> (N×H×W×3 uint8), as the ADM evaluator reads.</summary>
    Npz,
}
