using System.Text.Json;
using OrleansFlow.Formats;
using OrleansFlow.Statistics;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Testing;

namespace OrleansFlow.Grains.Tests.Statistics.Metrics;

/// <summary>
/// The whole suite against tools/eval_reference.py, which computes each metric the direct way with
/// numpy/scipy (ADM evaluator and torch-fidelity formulas): the project's sharded sums must agree to
/// 1e-6 relative on FID, sFID, IS and KID, and exactly on the precision/recall counts.
/// </summary>
public sealed class EvaluationReferenceTests : IDisposable
{
    private const int SplitSize = 128;
    private const int ShardSize = 97;
    private const int KidSubsets = 20;
    private const int KidSubsetSize = 150;
    private const long Seed = 7;
    private const double Tolerance = 1e-6;

    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [NumpyFact]
    public async Task Suite_ShardedSums_AgreeWithTheReferenceScript()
    {
        // 24 and 10 dimensions: not multiples of 4, so the distance padding is exercised; 600 samples
        // in shards of 97 that straddle the IS splits of 128.
        var generated = SyntheticFeatures.Gaussian(600, 24, seed: 1, shift: 0.15, scale: 0.9);
        var reference = SyntheticFeatures.Gaussian(450, 24, seed: 2, shift: 0, scale: 1.0);
        var generatedSpatial = SyntheticFeatures.Gaussian(600, 10, seed: 3, shift: 0.3, scale: 1.2);
        var referenceSpatial = SyntheticFeatures.Gaussian(450, 10, seed: 4, shift: 0, scale: 1.0);
        var logits = SyntheticFeatures.Logits(600, 7, seed: 5, confidence: 2.5);

        var (pool, spatial, scores) = ShardedPass(generated, generatedSpatial, logits);
        var fid = FrechetDistance.Compute(pool.ToGaussian(), Moments(reference).ToGaussian()).Fid;
        var sfid = FrechetDistance.Compute(spatial.ToGaussian(), Moments(referenceSpatial).ToGaussian()).Fid;
        var inception = scores.Score(generated.Count);
        var kid = KernelInceptionDistance.Compute(generated, reference, Seed, KidSubsets, KidSubsetSize);
        var prc = PrecisionRecall.Compute(generated, reference, blockSize: 64);

        var features = _temp.Combine("features.npz");
        using (var writer = new NpzWriter(features))
        {
            writer.Write("gen_pool", generated.ToNpy());
            writer.Write("ref_pool", reference.ToNpy());
            writer.Write("gen_spatial", generatedSpatial.ToNpy());
            writer.Write("ref_spatial", referenceSpatial.ToNpy());
            writer.Write("gen_logits", logits.ToNpy());
        }

        var expected = await RunReferenceAsync(features, "--seed", $"{Seed}", "--split-size", $"{SplitSize}",
            "--kid-subsets", $"{KidSubsets}", "--kid-subset-size", $"{KidSubsetSize}");

        AssertRelative(expected.GetProperty("fid").GetDouble(), fid, "FID");
        AssertRelative(expected.GetProperty("sfid").GetDouble(), sfid, "sFID");
        var expectedIs = expected.GetProperty("is");
        AssertRelative(expectedIs.GetProperty("mean").GetDouble(), inception.Score, "IS");
        AssertRelative(expectedIs.GetProperty("std").GetDouble(), inception.Spread.Std, "IS std");
        var splits = expectedIs.GetProperty("splits").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(splits.Length, inception.SplitScores.Count);
        for (var s = 0; s < splits.Length; s++)
        {
            AssertRelative(splits[s], inception.SplitScores[s], $"IS split {s}");
        }

        var expectedKid = expected.GetProperty("kid");
        Assert.Equal(KidSubsetSize, expectedKid.GetProperty("subsetSize").GetInt32());
        var subsets = expectedKid.GetProperty("subsets").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var s = 0; s < subsets.Length; s++)
        {
            AssertRelative(subsets[s], kid.SubsetValues[s], $"KID subset {s}");
        }

        AssertRelative(expectedKid.GetProperty("mean").GetDouble(), kid.Kid, "KID");
        AssertRelative(expectedKid.GetProperty("std").GetDouble(), kid.Spread.Std, "KID std");

        var expectedPrc = expected.GetProperty("prc");
        Assert.Equal(expectedPrc.GetProperty("generatedInside").GetInt64(), prc.GeneratedInside);
        Assert.Equal(expectedPrc.GetProperty("referenceInside").GetInt64(), prc.ReferenceInside);

        // Not a degenerate case: neither share is 0 or 1, and the metrics see the shift.
        Assert.InRange(prc.Precision, 0.05, 0.995);
        Assert.InRange(prc.Recall, 0.05, 0.995);
        Assert.True(kid.Kid > 3 * kid.Spread.Std / Math.Sqrt(KidSubsets), $"KID {kid.Kid} is not clearly above 0");
    }

    [NumpyFact]
    public async Task Suite_FewerFeaturesThanKidSubsetSize_UsesTheSmallerCountLikeTheScript()
    {
        var generated = SyntheticFeatures.Gaussian(60, 6, seed: 8, shift: 0, scale: 1);
        var reference = SyntheticFeatures.Gaussian(45, 6, seed: 9, shift: 0, scale: 1);
        var kid = KernelInceptionDistance.Compute(generated, reference, seed: 123, subsets: 5);
        var features = _temp.Combine("small.npz");
        using (var writer = new NpzWriter(features))
        {
            writer.Write("gen_pool", generated.ToNpy());
            writer.Write("ref_pool", reference.ToNpy());
        }

        var expected = (await RunReferenceAsync(features, "--seed", "123", "--kid-subsets", "5")).GetProperty("kid");

        Assert.Equal(45, kid.SubsetSize);
        Assert.Equal(45, expected.GetProperty("subsetSize").GetInt32());
        AssertRelative(expected.GetProperty("mean").GetDouble(), kid.Kid, "KID");
    }

    /// <summary>Accumulates the generated side shard by shard, each shard's record round-tripped through .npz as a job stores it.</summary>
    private static (FeatureMoments Pool, FeatureMoments Spatial, InceptionScoreSums Scores) ShardedPass(FeatureMatrix pool, FeatureMatrix spatial, FeatureMatrix logits)
    {
        var totalPool = new FeatureMoments(pool.Dimension);
        var totalSpatial = new FeatureMoments(spatial.Dimension);
        var totalScores = new InceptionScoreSums(logits.Dimension, SplitSize);
        for (var start = 0; start < pool.Count; start += ShardSize)
        {
            var count = Math.Min(ShardSize, pool.Count - start);
            var shardPool = new FeatureMoments(pool.Dimension);
            shardPool.AddBatch(pool.Values.AsSpan(start * pool.Dimension, count * pool.Dimension), count);
            var shardScores = new InceptionScoreSums(logits.Dimension, SplitSize);
            shardScores.AddBatch(start, logits.Values.AsSpan(start * logits.Dimension, count * logits.Dimension), count);
            var shardSpatial = new FeatureMoments(spatial.Dimension);
            shardSpatial.AddBatch(spatial.Values.AsSpan(start * spatial.Dimension, count * spatial.Dimension), count);

            using var stream = new MemoryStream();
            using (var writer = new NpzWriter(stream, leaveOpen: true))
            {
                shardScores.WriteTo(writer);
            }

            stream.Position = 0;
            totalScores.Merge(InceptionScoreSums.ReadFrom(NpzReader.Read(stream, "shard"), SplitSize));
            totalPool.Merge(shardPool);
            totalSpatial.Merge(shardSpatial);
        }

        return (totalPool, totalSpatial, totalScores);
    }

    private static FeatureMoments Moments(FeatureMatrix features)
    {
        var moments = new FeatureMoments(features.Dimension);
        moments.AddBatch(features.Values, features.Count);
        return moments;
    }

    private static Task<JsonElement> RunReferenceAsync(string features, params string[] options) =>
        DebianPython.RunJsonAsync(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            [RepositoryFile("tools", "eval_reference.py"), features, .. options]);

    private static string RepositoryFile(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrleansFlow.sln")))
            {
                return Path.Combine([directory.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException("The repository root (OrleansFlow.sln) is not above the test binaries.");
    }

    private static void AssertRelative(double expected, double actual, string what)
    {
        var error = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(error <= Tolerance, $"{what}: {actual:R} vs reference {expected:R} (relative error {error:G3} > {Tolerance})");
    }
}
