using OrleansFlow.Formats;
using OrleansFlow.Jobs;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Testing;

namespace OrleansFlow.Grains.Tests.Statistics.Metrics;

/// <summary>Values each metric must take on inputs whose answer is known, and its failure modes.</summary>
public sealed class MetricPropertiesTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void InceptionScore_IdenticalPredictions_IsOne()
    {
        var sums = new InceptionScoreSums(4, splitSize: 10);
        for (var i = 0; i < 25; i++)
        {
            sums.Add(i, [0.3f, -1f, 2f, 0f]);
        }

        var result = sums.Score(25);

        Assert.Equal(3, result.SplitScores.Count);
        Assert.All(result.SplitScores, s => Assert.Equal(1.0, s, 12));
    }

    [Fact]
    public void InceptionScore_ConfidentAndEvenlySpread_ApproachesTheClassCount()
    {
        var sums = new InceptionScoreSums(5, splitSize: 50);
        for (var i = 0; i < 100; i++)
        {
            var logits = new float[5];
            logits[i % 5] = 40;
            sums.Add(i, logits);
        }

        var result = sums.Score(100);

        Assert.Equal(5.0, result.Score, 6);
        Assert.Equal(0.0, result.Spread.Std, 9);
    }

    [Fact]
    public void InceptionScore_ShardsMergedInAnyOrder_GiveTheSameScore()
    {
        var logits = SyntheticFeatures.Logits(90, 6, seed: 4, confidence: 2);
        InceptionScoreSums Accumulate(IEnumerable<int> shardStarts)
        {
            var total = new InceptionScoreSums(6, splitSize: 40);
            foreach (var start in shardStarts)
            {
                var shard = new InceptionScoreSums(6, splitSize: 40);
                var count = Math.Min(30, 90 - start);
                shard.AddBatch(start, logits.Values.AsSpan(start * 6, count * 6), count);
                total.Merge(shard);
            }

            return total;
        }

        var forward = Accumulate([0, 30, 60]).Score(90);
        var backward = Accumulate([60, 30, 0]).Score(90);

        Assert.Equal(3, forward.SplitScores.Count);
        Assert.Equal(forward.Score, backward.Score, 12);
    }

    [Fact]
    public void InceptionScore_MissingSamplesOfASplit_Throws()
    {
        var sums = new InceptionScoreSums(3, splitSize: 10);
        sums.AddBatch(0, new float[3 * 10], 10);

        var error = Assert.Throws<InvalidOperationException>(() => sums.Score(15));

        Assert.Contains("split 1 should hold 5 samples but holds 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrecisionRecall_SameSet_IsOneAndOne_FarApart_IsZeroAndZero()
    {
        var points = SyntheticFeatures.Gaussian(80, 5, seed: 1, shift: 0, scale: 1);
        var far = SyntheticFeatures.Gaussian(60, 5, seed: 2, shift: 100, scale: 1);

        var same = PrecisionRecall.Compute(points, points, blockSize: 7);
        var apart = PrecisionRecall.Compute(points, far, blockSize: 7);

        Assert.Equal((80L, 80L), (same.GeneratedInside, same.ReferenceInside));
        Assert.Equal((0L, 0L), (apart.GeneratedInside, apart.ReferenceInside));
    }

    [Fact]
    public void PrecisionRecall_BlockSize_DoesNotChangeTheCounts()
    {
        var generated = SyntheticFeatures.Gaussian(150, 9, seed: 3, shift: 0.2, scale: 1);
        var reference = SyntheticFeatures.Gaussian(120, 9, seed: 4, shift: 0, scale: 1);

        var whole = PrecisionRecall.Compute(generated, reference, blockSize: 1000);
        var blocks = PrecisionRecall.Compute(generated, reference, blockSize: 13);

        Assert.Equal(whole, blocks);
    }

    [Fact]
    public void ManifoldRadii_Pruning_GivesTheBruteForceRadiiExactly()
    {
        // Clusters scaled differently (spread widely along the leading direction, so most points are
        // pruned) plus exact duplicates (radius 0 ties).
        var features = SyntheticFeatures.Gaussian(400, 6, seed: 12, shift: 0, scale: 0.3);
        for (var i = 0; i < 400; i++)
        {
            for (var d = 0; d < 6; d++)
            {
                features.Values[(i * 6) + d] *= 1 + (i % 7);
            }
        }

        features.Row(5).CopyTo(features.Values.AsSpan(17 * 6, 6));
        features.Row(5).CopyTo(features.Values.AsSpan(29 * 6, 6));
        var points = new ManifoldPoints(features);

        var pruned = ManifoldEstimate.Radii(points, new ManifoldBlock(0, 400));

        for (var i = 0; i < 400; i++)
        {
            var all = Enumerable.Range(0, 400).Select(j => points.SquaredDistance(i, points, j)).Order().ToArray();
            Assert.Equal(all[ManifoldEstimate.DefaultNeighbours], pruned[i]);
        }
    }

    [Fact]
    public void ManifoldRadii_NoMorePointsThanNeighbours_ThrowsNamingTheCount()
    {
        var points = new ManifoldPoints(SyntheticFeatures.Gaussian(3, 4, seed: 1, shift: 0, scale: 1));

        var error = Assert.Throws<ArgumentException>(() => ManifoldEstimate.Radii(points, new ManifoldBlock(0, 3)));

        Assert.Contains("more than 3 points; there are 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kid_SameSeed_Reproduces_OtherSeed_DrawsOtherSubsets()
    {
        var generated = SyntheticFeatures.Gaussian(300, 8, seed: 5, shift: 0.1, scale: 1);
        var reference = SyntheticFeatures.Gaussian(250, 8, seed: 6, shift: 0, scale: 1);

        var first = KernelInceptionDistance.Compute(generated, reference, seed: 9, subsets: 10, subsetSize: 100);
        var again = KernelInceptionDistance.Compute(generated, reference, seed: 9, subsets: 10, subsetSize: 100);
        var other = KernelInceptionDistance.Compute(generated, reference, seed: 10, subsets: 10, subsetSize: 100);

        Assert.Equal(first.SubsetValues, again.SubsetValues);
        Assert.NotEqual(first.SubsetValues, other.SubsetValues);
        Assert.Equal(100, first.SubsetSize);
    }

    [Fact]
    public void SeededSubsets_DrawsDistinctIndicesInRange()
    {
        var subset = new SeededSubsets(42).Next(50, 50);

        Assert.Equal(Enumerable.Range(0, 50), subset.Order());
    }

    [Theory]
    [InlineData("fid,sfid,is,prc,kid", "fid,sfid,is,prc,kid")]
    [InlineData("KID, is", "is,kid")]
    public void Metrics_Parse_AcceptsNamesInAnyOrderAndCase(string text, string canonical)
    {
        Assert.Equal(canonical, string.Join(',', EvaluationMetrics.Format(EvaluationMetrics.Parse(text))));
    }

    [Theory]
    [InlineData("fid,lpips", "metrics: unknown metric 'lpips': allowed fid,sfid,is,prc,kid (comma-separated)")]
    [InlineData(",", "metrics: names no metric: allowed fid,sfid,is,prc,kid (comma-separated)")]
    public void Metrics_Parse_RejectsWithOneLineNamingTheField(string text, string message)
    {
        var error = Assert.Throws<SpecException>(() => EvaluationMetrics.Parse(text));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void JobSpec_MetricsOnAReflowJob_IsRejected()
    {
        var spec = new JobSpec { Kind = JobKind.Reflow, Model = "gmm-demo", Sampler = OrleansFlow.Sampling.SamplerSpec.Parse("euler:steps=2"), Samples = 4, Metrics = "fid" };

        var error = Assert.Throws<SpecException>(() => spec.Validate());

        Assert.Equal("metrics: applies to fid jobs only", error.Message);
    }

    [Fact]
    public void ReferenceBatch_PngDirectory_ReadsTheSameImagesAsAnAdmBatch()
    {
        var random = new Random(8);
        var pixels = new byte[5 * 6 * 4 * 3];
        random.NextBytes(pixels);
        var directory = Directory.CreateDirectory(_temp.Combine("pngs")).FullName;
        for (var i = 0; i < 5; i++)
        {
            File.WriteAllBytes(Path.Combine(directory, $"{i:D6}.png"), Png.Encode(pixels.AsSpan(i * 72, 72), width: 4, height: 6, channels: 3));
        }

        var npz = _temp.Combine("batch.npz");
        using (var writer = new NpzWriter(npz))
        {
            writer.Write("arr_0", pixels, 5, 6, 4, 3);
        }

        var fromPngs = ReferenceBatch.Read(directory);
        var fromNpz = ReferenceBatch.Read(npz);

        Assert.Equal((5, 6, 4, 3), (fromPngs.Count, fromPngs.Height, fromPngs.Width, fromPngs.Channels));
        Assert.Equal(fromNpz.ReadAllImages(), fromPngs.ReadAllImages());
        Assert.Null(fromNpz.Pool);
        // Back through the samples' uint8 rule: every pixel of every image comes back exactly.
        var samples = fromNpz.ToSamples(new Ids.Resolution(3, 6, 4));
        var again = new byte[pixels.Length];
        for (var i = 0; i < 5; i++)
        {
            ImageQuantizer.ToHwc(samples.AsSpan(i * 72, 72), 3, 6, 4, again.AsSpan(i * 72, 72));
        }

        Assert.Equal(pixels, again);
    }

    [Fact]
    public void ReferenceBatch_ImagesOfAnotherSize_AreRejectedNamingReference()
    {
        var npz = _temp.Combine("big.npz");
        using (var writer = new NpzWriter(npz))
        {
            writer.Write("arr_0", new byte[2 * 16 * 16 * 3], 2, 16, 16, 3);
        }

        var error = Assert.Throws<SpecException>(() => ReferenceBatch.Read(npz).ToSamples(new Ids.Resolution(1, 8, 8)));

        Assert.StartsWith("reference: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("16×16×3 images but the samples are", error.Message, StringComparison.Ordinal);
    }
}
