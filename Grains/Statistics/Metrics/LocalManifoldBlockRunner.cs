using OrleansFlow.Jobs;

namespace OrleansFlow.Statistics.Metrics;

/// <summary>Runs the blocks on this process's threads (<c>Parallel.For</c>): embedded mode and the default.</summary>
public sealed class LocalManifoldBlockRunner(FeatureMatrix generated, FeatureMatrix reference) : IManifoldBlockRunner
{
    private readonly ManifoldPoints _generated = new(generated);
    private readonly ManifoldPoints _reference = new(reference);
    private readonly Dictionary<ManifoldSide, double[]> _radii = [];

    public static ManifoldBlockRunnerFactory Factory { get; } = (g, r) => new LocalManifoldBlockRunner(g, r);

    public Task RadiiAsync(ManifoldSide side, IReadOnlyList<ManifoldBlock> blocks, int neighbours, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var points = Points(side);
        var parts = new double[blocks.Count][];
        Parallel.For(0, blocks.Count, new ParallelOptions { CancellationToken = cancellationToken }, b => parts[b] = ManifoldEstimate.Radii(points, blocks[b], neighbours));
        _radii[side] = [.. parts.SelectMany(p => p)];
        return Task.CompletedTask;
    }

    public Task<long[]> CountInsideAsync(ManifoldSide queries, IReadOnlyList<ManifoldBlock> blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var centres = PrecisionRecall.Other(queries);
        var radii = _radii.TryGetValue(centres, out var found)
            ? found
            : throw new InvalidOperationException($"The {centres} radii pass must run before counting {queries} rows inside its manifold.");
        var (centrePoints, queryPoints) = (Points(centres), Points(queries));
        var counts = new long[blocks.Count];
        Parallel.For(0, blocks.Count, new ParallelOptions { CancellationToken = cancellationToken }, b => counts[b] = ManifoldEstimate.CountInside(centrePoints, radii, queryPoints, blocks[b]));
        return Task.FromResult(counts);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private ManifoldPoints Points(ManifoldSide side) => side == ManifoldSide.Generated ? _generated : _reference;
}
