using OrleansFlow.Jobs;

namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// Improved precision and recall (Kynkäänniemi et al. 2019) as the ADM evaluator reports them:
/// precision = share of generated samples inside the reference manifold, recall = share of
/// reference samples inside the generated manifold, k = 3. Four passes (two radii, two membership
/// counts), each a list of <see cref="ManifoldBlock"/>s run by an <see cref="IManifoldBlockRunner"/>;
/// the counts of the blocks are added here, in block order.
/// </summary>
public static class PrecisionRecall
{
    /// <summary>Rows per block: small enough to spread 50,000 rows over a cluster, large enough to amortise dispatch.</summary>
    public const int DefaultBlockSize = 1000;

    /// <summary>On this process's threads.</summary>
    public static PrecisionRecallResult Compute(FeatureMatrix generated, FeatureMatrix reference, int neighbours = ManifoldEstimate.DefaultNeighbours, int blockSize = DefaultBlockSize)
    {
        // The local runner completes synchronously: no thread waits on another here.
        return ComputeAsync(new LocalManifoldBlockRunner(generated, reference), generated, reference, neighbours, blockSize, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The four passes on <paramref name="runner"/>: both radii first (the count passes read them), then
    /// both counts. The matrices give the sizes of the passes; a cluster runner's workers read their own copies.
    /// </summary>
    public static async Task<PrecisionRecallResult> ComputeAsync(IManifoldBlockRunner runner, FeatureMatrix generatedFeatures, FeatureMatrix referenceFeatures, int neighbours, int blockSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        Check(generatedFeatures, referenceFeatures, neighbours);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        var (generated, reference) = (generatedFeatures.Count, referenceFeatures.Count);
        foreach (var (side, count) in new[] { (ManifoldSide.Generated, generated), (ManifoldSide.Reference, reference) })
        {
            if (count <= neighbours)
            {
                throw new ArgumentException($"A {neighbours}-nearest-neighbour manifold needs more than {neighbours} points; the {side.ToString().ToLowerInvariant()} set has {count}.");
            }
        }

        var (generatedBlocks, referenceBlocks) = (ManifoldBlock.Plan(generated, blockSize), ManifoldBlock.Plan(reference, blockSize));
        await runner.RadiiAsync(ManifoldSide.Reference, referenceBlocks, neighbours, cancellationToken);
        await runner.RadiiAsync(ManifoldSide.Generated, generatedBlocks, neighbours, cancellationToken);
        var precision = (await runner.CountInsideAsync(ManifoldSide.Generated, generatedBlocks, cancellationToken)).Sum();
        var recall = (await runner.CountInsideAsync(ManifoldSide.Reference, referenceBlocks, cancellationToken)).Sum();
        return new PrecisionRecallResult(precision, generated, recall, reference, neighbours);
    }

    /// <summary>The set whose manifold the rows of <paramref name="queries"/> are counted in.</summary>
    public static ManifoldSide Other(ManifoldSide queries) => queries == ManifoldSide.Generated ? ManifoldSide.Reference : ManifoldSide.Generated;

    private static void Check(FeatureMatrix generated, FeatureMatrix reference, int neighbours)
    {
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        if (generated.Dimension != reference.Dimension)
        {
            throw new ArgumentException($"Precision/recall needs features of one dimension; generated {generated.Dimension}, reference {reference.Dimension}.", nameof(reference));
        }
    }
}
