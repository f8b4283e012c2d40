namespace OrleansFlow.Cluster;

/// <summary>
/// Runs blocks of a job's precision/recall passes on one silo (<see cref="ManifoldWorkerKey"/>): it loads
/// the generated and reference features once from blob storage and the job's reference, keeps them
/// while the pass runs and drops them on <see cref="ReleaseAsync"/>.
/// </summary>
[Alias("OrleansFlow.IManifoldWorkerGrain")]
public interface IManifoldWorkerGrain : IGrainWithStringKey
{
    /// <summary>Computes the squared radii of the block's rows and writes them create-only (skipped when the blob exists).</summary>
    [Alias("Radii")]
    [ResponseTimeout(LongCall.Timeout)]
    Task RadiiAsync(ManifoldBlockWork work, CancellationToken cancellationToken = default);

    /// <summary>How many of the block's rows lie inside the other side's manifold (its radii read from the blobs).</summary>
    [Alias("CountInside")]
    [ResponseTimeout(LongCall.Timeout)]
    Task<long> CountInsideAsync(ManifoldBlockWork work, CancellationToken cancellationToken = default);

    /// <summary>Drops what the worker loaded for the job (the pass is over).</summary>
    [Alias("Release")]
    Task ReleaseAsync(CancellationToken cancellationToken = default);
}
