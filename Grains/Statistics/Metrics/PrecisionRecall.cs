namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// Improved precision and recall (Kynkäänniemi et al. 2019) as the ADM evaluator reports them:
/// precision = share of generated samples inside the reference manifold, recall = share of
/// reference samples inside the generated manifold, k = 3. Each of the four passes (two radii, two
/// membership counts) is a list of <see cref="ManifoldBlock"/>s whose results merge in block order;
/// here the blocks run on this process's threads.
/// </summary>
public static class PrecisionRecall
{
    /// <summary>Rows per block: small enough to spread 50,000 rows over a cluster, large enough to amortise dispatch.</summary>
    public const int DefaultBlockSize = 1000;

    public static PrecisionRecallResult Compute(FeatureMatrix generated, FeatureMatrix reference, int neighbours = ManifoldEstimate.DefaultNeighbours, int blockSize = DefaultBlockSize)
    {
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(reference);
        if (generated.Dimension != reference.Dimension)
        {
            throw new ArgumentException($"Precision/recall needs features of one dimension; generated {generated.Dimension}, reference {reference.Dimension}.", nameof(reference));
        }

        var generatedPoints = new ManifoldPoints(generated);
        var referencePoints = new ManifoldPoints(reference);
        var referenceRadii = RadiiOf(referencePoints, neighbours, blockSize);
        var generatedRadii = RadiiOf(generatedPoints, neighbours, blockSize);
        var precision = CountInside(referencePoints, referenceRadii, generatedPoints, blockSize);
        var recall = CountInside(generatedPoints, generatedRadii, referencePoints, blockSize);
        return new PrecisionRecallResult(precision, generated.Count, recall, reference.Count, neighbours);
    }

    /// <summary>The squared radii of every point, block by block (reference radii are computed once per job).</summary>
    public static double[] RadiiOf(ManifoldPoints points, int neighbours, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(points);
        var blocks = ManifoldBlock.Plan(points.Count, blockSize);
        var parts = new double[blocks.Count][];
        Parallel.For(0, blocks.Count, b => parts[b] = ManifoldEstimate.Radii(points, blocks[b], neighbours));
        return [.. parts.SelectMany(p => p)];
    }

    public static long CountInside(ManifoldPoints centres, double[] radii, ManifoldPoints queries, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var blocks = ManifoldBlock.Plan(queries.Count, blockSize);
        var counts = new long[blocks.Count];
        Parallel.For(0, blocks.Count, b => counts[b] = ManifoldEstimate.CountInside(centres, radii, queries, blocks[b]));
        return counts.Sum();
    }
}
