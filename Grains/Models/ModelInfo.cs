using OrleansFlow.Ids;

namespace OrleansFlow.Models;

/// <summary>What a caller must know about a model to sample from it.</summary>
/// <param name="Name">The model as the user named it, e.g. <c>gmm-demo</c>.</param>
/// <param name="Shape">The shape of one sample.</param>
/// <param name="ClassCount">Number of class labels; 0 for an unconditional model.</param>
public sealed record ModelInfo(string Name, Resolution Shape, int ClassCount)
{
    public bool IsConditional => ClassCount > 0;

    /// <summary>The label that asks a class-conditional model for its unconditional velocity.</summary>
    public int NullClass => ClassCount;

    public SamplerKey Key => new(Name, Shape);
}
