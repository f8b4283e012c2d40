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

    /// <summary>
    /// What the compiled forms are chosen for, so that silos can agree on them (<see cref="Cluster.ICompilationChoicesGrain"/>):
    /// the model's content, device and compilation policy. Null when nothing is chosen by timing. May read the model's files.
    /// </summary>
    string? CompilationScope => null;

    /// <summary>
    /// Runs the given choices (timed by another silo of the same scope and node class) for their module and
    /// batch size instead of timing them at warm-up; choices this model may not take are skipped.
    /// </summary>
    void Adopt(IReadOnlyList<Jobs.CompilationChoice> choices)
    {
    }
}
