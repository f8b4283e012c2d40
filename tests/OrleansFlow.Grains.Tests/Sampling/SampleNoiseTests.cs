using OrleansFlow.Sampling;

namespace OrleansFlow.Grains.Tests.Sampling;

public class SampleNoiseTests
{
    [Fact]
    public void Fill_SameSeedAndIndex_SameNoiseFromAnyInstance()
    {
        var a = new float[193];
        var b = new float[193];
        new SampleNoise(42).Fill(123_456_789_012, a);
        new SampleNoise(42).Fill(123_456_789_012, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Fill_DifferentSeedOrIndex_DifferentNoise()
    {
        var reference = Draw(7, 10);
        Assert.NotEqual(reference, Draw(8, 10));
        Assert.NotEqual(reference, Draw(7, 11));
        // Seeds that differ only in their high 32 bits must not collide either.
        Assert.NotEqual(reference, Draw(7 + (1L << 32), 10));
    }

    [Fact]
    public void Fill_ManySamples_IsStandardNormal()
    {
        var noise = new SampleNoise(3);
        var buffer = new float[64];
        double sum = 0, sumSquares = 0, sumFourth = 0;
        var n = 0;
        for (var i = 0; i < 4000; i++)
        {
            noise.Fill(i, buffer);
            foreach (var x in buffer)
            {
                sum += x;
                sumSquares += x * x;
                sumFourth += x * x * x * x;
                n++;
            }
        }

        // 256,000 draws: standard errors of mean, variance and kurtosis are about 0.002, 0.003, 0.02.
        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(sumSquares / n, 0.985, 1.015);
        Assert.InRange(sumFourth / n, 2.9, 3.1);
    }

    [Fact]
    public void Label_ManySamples_UniformOverClasses()
    {
        var noise = new SampleNoise(5);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
        {
            counts[noise.Label(i, 10)]++;
        }

        // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
        var chiSquare = counts.Sum(c => (c - 10_000.0) * (c - 10_000.0) / 10_000.0);
        Assert.True(chiSquare < 27.9, $"chi-square {chiSquare:F1} over counts {string.Join(",", counts)}");
    }

    private static float[] Draw(long seed, long index)
    {
        var buffer = new float[16];
        new SampleNoise(seed).Fill(index, buffer);
        return buffer;
    }
}
