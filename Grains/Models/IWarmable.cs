namespace OrleansFlow.Models;

/// <summary>
/// A model that serves faster once it has run a batch of a given size: sample-aware compilation
/// (TorchScript specialises its graph per shape; CUDA graphs are captured per shape).
/// </summary>
public interface IWarmable
{
    /// <summary>Runs the model once per new batch size; returns cold and warm latency per size (cached).</summary>
    IReadOnlyList<WarmupLatency> WarmUp(IEnumerable<int> batchSizes, int runs = 3);

    /// <summary>The compiled form chosen per module and warmed batch size, with its timings (empty when nothing is compiled).</summary>
    IReadOnlyList<Jobs.CompilationChoice> Compilation => [];
}
