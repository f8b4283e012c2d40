using OrleansFlow.Jobs;

namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// Runs the <see cref="ManifoldBlock"/>s of precision/recall's passes for one job, wherever the
/// implementation chooses: <see cref="LocalManifoldBlockRunner"/> on this process's threads, the cluster's
/// runner on the live silos. Every block is a pure function of the job's features, so the result is the
/// same bits either way; <see cref="PrecisionRecall.ComputeAsync"/> orders the passes and merges the counts.
/// Disposing drops what the runner (and its workers) loaded.
/// </summary>
public interface IManifoldBlockRunner : IAsyncDisposable
{
    /// <summary>Computes the squared radii of <paramref name="side"/>'s rows, block by block, and keeps them for the count passes.</summary>
    Task RadiiAsync(ManifoldSide side, IReadOnlyList<ManifoldBlock> blocks, int neighbours, CancellationToken cancellationToken);

    /// <summary>For each block of <paramref name="queries"/>, how many of its rows lie inside the other side's manifold.</summary>
    Task<long[]> CountInsideAsync(ManifoldSide queries, IReadOnlyList<ManifoldBlock> blocks, CancellationToken cancellationToken);
}

/// <summary>Makes the runner of a job's precision/recall pass from the features the finaliser merged.</summary>
public delegate IManifoldBlockRunner ManifoldBlockRunnerFactory(FeatureMatrix generated, FeatureMatrix reference);
