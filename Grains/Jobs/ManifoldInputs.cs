using OrleansFlow.Formats;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Storage;

namespace OrleansFlow.Jobs;

/// <summary>
/// What a silo needs to run any block of a job's precision/recall passes: the generated pooled features
/// (the shards' <c>pool</c> arrays, read from blob storage in shard order, as the finaliser merges them)
/// and the reference's, resolved from the job's reference as the finaliser resolves it.
/// </summary>
internal sealed class ManifoldInputs
{
    private readonly ManifoldPoints _generated;
    private readonly ManifoldPoints _reference;

    private ManifoldInputs(ManifoldPoints generated, ManifoldPoints reference)
    {
        _generated = generated;
        _reference = reference;
    }

    public ManifoldPoints Of(ManifoldSide side) => side == ManifoldSide.Generated ? _generated : _reference;

    /// <summary>The rows of <paramref name="side"/> from <paramref name="start"/>, checked against the set's size.</summary>
    public ManifoldBlock Block(ManifoldSide side, int start, int count)
    {
        var rows = Of(side).Count;
        return start >= 0 && count > 0 && start <= rows - count
            ? new ManifoldBlock(start, count)
            : throw new InvalidDataException($"Rows {start}..{start + count} are outside the {rows} {side.ToString().ToLowerInvariant()} features of this job.");
    }

    /// <summary>
    /// <paramref name="job"/> must be resolved with its reference (a finaliser's <see cref="ResolvedJob"/>);
    /// the reference features are computed once per process (<see cref="ReferenceFeatures"/>).
    /// </summary>
    public static async Task<ManifoldInputs> LoadAsync(ResolvedJob job, IBlobStore store, JobLayout layout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        var reference = job.Reference?.Features?.Pool
            ?? throw new SpecException("reference", "precision/recall needs a reference batch with images (arr_0)");
        var parts = new List<FeatureMatrix>(job.Shards.Count);
        foreach (var shard in job.Shards)
        {
            var name = layout.ShardResult(shard.Index, job.Spec.Kind);
            await using var stream = await store.OpenReadAsync(name, cancellationToken);
            var arrays = NpzReader.Read(stream, name, [ShardEvaluation.PoolFeaturesKey]);
            parts.Add(FeatureMatrix.FromNpy(
                arrays.TryGetValue(ShardEvaluation.PoolFeaturesKey, out var pool) ? pool : throw new InvalidDataException($"{name} has no '{ShardEvaluation.PoolFeaturesKey}' features: its job did not keep them for precision/recall."),
                $"shard {shard.Index} '{ShardEvaluation.PoolFeaturesKey}'"));
        }

        return await Task.Run(() => new ManifoldInputs(new ManifoldPoints(FeatureMatrix.Concatenate(parts)), new ManifoldPoints(reference)), cancellationToken);
    }
}
