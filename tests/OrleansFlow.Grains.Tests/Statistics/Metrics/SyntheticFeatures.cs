using OrleansFlow.Statistics.Metrics;

namespace OrleansFlow.Grains.Tests.Statistics.Metrics;

/// <summary>Reproducible Gaussian test features: a cluster per class, shifted and scaled per set.</summary>
internal static class SyntheticFeatures
{
    public static FeatureMatrix Gaussian(int count, int dimension, int seed, double shift, double scale)
    {
        var random = new Random(seed);
        var values = new float[count * dimension];
        for (var i = 0; i < count; i++)
        {
            var cluster = i % 5;
            for (var d = 0; d < dimension; d++)
            {
                var centre = Math.Cos(cluster + (d * 0.7)) + shift;
                values[(i * dimension) + d] = (float)(centre + (scale * Normal(random)));
            }
        }

        return new FeatureMatrix(values, count, dimension);
    }

    /// <summary>Logits that favour the sample's class by <paramref name="confidence"/>.</summary>
    public static FeatureMatrix Logits(int count, int classes, int seed, double confidence)
    {
        var random = new Random(seed);
        var values = new float[count * classes];
        for (var i = 0; i < count; i++)
        {
            var label = random.Next(classes);
            for (var c = 0; c < classes; c++)
            {
                values[(i * classes) + c] = (float)(Normal(random) + (c == label ? confidence : 0));
            }
        }

        return new FeatureMatrix(values, count, classes);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
