using OrleansFlow.Testing;
using OrleansFlow.Formats;
using OrleansFlow.Statistics;

namespace OrleansFlow.Grains.Tests.Statistics;

public sealed class FeatureMomentsTests
{
    [Fact]
    public void MeanAndCovariance_GoldenFeatures_MatchNumpy()
    {
        IReadOnlyDictionary<string, NpyArray> golden = GoldenFiles.ReadNpz("features_300x8.npz");
        NpyArray features = golden["features"];
        var moments = new FeatureMoments(features.Shape[1]);

        moments.AddBatch(features.ToSingleArray(), features.Shape[0]);

        Assert.Equal(300, moments.Count);
        AssertClose(golden["mean"].ToDoubleArray(), moments.Mean(), 1e-12);
        AssertClose(golden["cov"].ToDoubleArray(), moments.Covariance(), 1e-12);
    }

    [Theory]
    [InlineData(5, 7)]
    [InlineData(300, 40)]
    public void AddBatch_SameSamples_BitIdenticalToAddLoop(int dimension, int count)
    {
        // 300 × 40 samples is past the threshold where rows are spread over threads.
        float[] samples = RandomFeatures(dimension, count, seed: dimension);
        var batched = new FeatureMoments(dimension);
        var oneByOne = new FeatureMoments(dimension);

        batched.AddBatch(samples, count);
        for (int sample = 0; sample < count; sample++)
        {
            oneByOne.Add(samples.AsSpan(sample * dimension, dimension));
        }

        AssertBitIdentical(oneByOne, batched);
    }

    [Fact]
    public void Merge_AnyPartitionInAnyOrder_MatchesWholeWithin1e12()
    {
        const int Dimension = 12;
        const int Count = 500;
        float[] samples = RandomFeatures(Dimension, Count, seed: 1);
        var whole = new FeatureMoments(Dimension);
        whole.AddBatch(samples, Count);
        var random = new Random(2);

        for (int trial = 0; trial < 5; trial++)
        {
            List<FeatureMoments> shards = Partition(samples, Dimension, random);
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shards));
            var merged = new FeatureMoments(Dimension);
            foreach (FeatureMoments shard in shards)
            {
                merged.Merge(shard);
            }

            Assert.Equal(whole.Count, merged.Count);
            AssertClose(whole.Sum, merged.Sum, 1e-12);
            AssertClose(whole.SumOfOuterProducts, merged.SumOfOuterProducts, 1e-12);
            AssertClose(whole.Covariance(), merged.Covariance(), 1e-12);
        }
    }

    [Fact]
    public void Merge_SamePartitionInSameOrder_BitIdentical()
    {
        const int Dimension = 9;
        float[] samples = RandomFeatures(Dimension, 200, seed: 3);
        List<FeatureMoments> shards = Partition(samples, Dimension, new Random(4));

        FeatureMoments first = MergeAll(Dimension, shards);
        FeatureMoments second = MergeAll(Dimension, shards);

        AssertBitIdentical(first, second);
    }

    [Fact]
    public void MergeFrom_SavedShards_BitIdenticalToMergingWhatReadFromRestores()
    {
        const int Dimension = 70;
        float[] samples = RandomFeatures(Dimension, 300, seed: 6);
        List<FeatureMoments> shards = Partition(samples, Dimension, new Random(7));
        List<Dictionary<string, NpyArray>> records = [.. shards.Select(shard => new Dictionary<string, NpyArray>
        {
            ["n"] = NpyArray.FromInt64s([shard.Count]),
            ["sum"] = NpyArray.FromDoubles(shard.Sum, Dimension),
            ["outer"] = NpyArray.FromDoubles(shard.SumOfOuterProducts, Dimension, Dimension),
        })];

        var merged = new FeatureMoments(Dimension);
        foreach (var record in records)
        {
            merged.MergeFrom(record);
        }

        AssertBitIdentical(MergeAll(Dimension, records.Select(r => FeatureMoments.ReadFrom(r))), merged);
        Assert.Throws<ArgumentException>(() => new FeatureMoments(Dimension + 1).MergeFrom(records[0]));
    }

    [Fact]
    public void Merge_DimensionMismatch_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new FeatureMoments(3).Merge(new FeatureMoments(4)));

        Assert.Contains("dimension 4 into dimension 3", error.Message);
    }

    [Fact]
    public void Covariance_OneSample_Throws()
    {
        var moments = new FeatureMoments(2);
        moments.Add([1f, 2f]);

        var error = Assert.Throws<InvalidOperationException>(moments.Covariance);

        Assert.Contains("at least 2 samples", error.Message);
    }

    [Fact]
    public void AddBatch_LengthNotCountTimesDimension_Throws()
    {
        var moments = new FeatureMoments(3);

        Assert.Throws<ArgumentException>(() => moments.AddBatch(new float[7], 2));
    }

    [Fact]
    public void WriteToAndReadFrom_SavedShard_RestoresExactly()
    {
        using var directory = new TemporaryDirectory();
        var moments = new FeatureMoments(6);
        moments.AddBatch(RandomFeatures(6, 25, seed: 5), 25);
        string path = directory.Combine("shard.npz");

        using (var writer = new NpzWriter(path))
        {
            moments.WriteTo(writer);
        }

        IReadOnlyDictionary<string, NpyArray> arrays = NpzReader.Read(path);
        FeatureMoments restored = FeatureMoments.ReadFrom(arrays);

        Assert.Empty(arrays["n"].Shape);
        Assert.Equal([6, 6], arrays["outer"].Shape);
        AssertBitIdentical(moments, restored);
    }

    [Fact]
    public void ReadFrom_CountOfShapeOne_Accepted()
    {
        var arrays = new Dictionary<string, NpyArray>
        {
            ["n"] = NpyArray.FromInt64s([2], 1),
            ["sum"] = NpyArray.FromDoubles([1, 2], 2),
            ["outer"] = NpyArray.FromDoubles([1, 0, 0, 2], 2, 2),
        };

        FeatureMoments moments = FeatureMoments.ReadFrom(arrays);

        Assert.Equal(2, moments.Count);
        Assert.Equal([0.5, 1], moments.Mean());
    }

    [Fact]
    public void ReadFrom_MissingOuter_ThrowsNamingKey()
    {
        var arrays = new Dictionary<string, NpyArray>
        {
            ["n"] = NpyArray.FromInt64s([2]),
            ["sum"] = NpyArray.FromDoubles([1, 2], 2),
        };

        var error = Assert.Throws<InvalidDataException>(() => FeatureMoments.ReadFrom(arrays));

        Assert.Contains("'outer' is missing", error.Message);
    }

    [Fact]
    public void ToGaussian_IdentityFeatures_GivesSampleMeanAndCovariance()
    {
        var extractor = new IdentityFeatures(2);
        float[] samples = [1, 2, 3, 6, 5, 10];
        var features = new float[samples.Length];
        var moments = new FeatureMoments(extractor.Dimension);

        extractor.Extract(samples, 3, features);
        moments.AddBatch(features, 3);
        GaussianStatistics statistics = moments.ToGaussian();

        Assert.Equal([3, 6], statistics.Mu);
        Assert.Equal([4, 8, 8, 16], statistics.Sigma);
    }

    private static float[] RandomFeatures(int dimension, int count, int seed)
    {
        var random = new Random(seed);
        var features = new float[dimension * count];
        for (int i = 0; i < features.Length; i++)
        {
            // Non-negative with a mean comparable to the spread, like pooled ReLU features.
            features[i] = MathF.Max(0, (float)((random.NextDouble() * 2) - 0.5));
        }

        return features;
    }

    /// <summary>Consecutive shards of random sizes (some empty), each accumulated on its own.</summary>
    private static List<FeatureMoments> Partition(float[] samples, int dimension, Random random)
    {
        int count = samples.Length / dimension;
        var shards = new List<FeatureMoments>();
        for (int start = 0; start < count;)
        {
            int size = Math.Min(random.Next(0, count / 4), count - start);
            var shard = new FeatureMoments(dimension);
            shard.AddBatch(samples.AsSpan(start * dimension, size * dimension), size);
            shards.Add(shard);
            start += size;
        }

        return shards;
    }

    private static FeatureMoments MergeAll(int dimension, IEnumerable<FeatureMoments> shards)
    {
        var merged = new FeatureMoments(dimension);
        foreach (FeatureMoments shard in shards)
        {
            merged.Merge(shard);
        }

        return merged;
    }

    private static void AssertBitIdentical(FeatureMoments expected, FeatureMoments actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(Bits(expected.Sum), Bits(actual.Sum));
        Assert.Equal(Bits(expected.SumOfOuterProducts), Bits(actual.SumOfOuterProducts));
    }

    private static long[] Bits(double[] values) => Array.ConvertAll(values, BitConverter.DoubleToInt64Bits);

    /// <summary>Every element within <paramref name="relative"/> of the largest expected magnitude.</summary>
    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= relative * scale, $"element {i}: {actual[i]:R} vs expected {expected[i]:R} (error {error / scale:E2} of scale)");
        }
    }
}
