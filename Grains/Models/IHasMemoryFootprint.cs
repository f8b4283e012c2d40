namespace OrleansFlow.Models;

/// <summary>A model that knows roughly how much memory it keeps resident (weights, warm buffers).</summary>
public interface IHasMemoryFootprint
{
    long EstimatedBytes { get; }
}
