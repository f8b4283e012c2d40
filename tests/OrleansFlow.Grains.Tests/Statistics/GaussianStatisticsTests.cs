using OrleansFlow.Testing;
using OrleansFlow.Formats;
using OrleansFlow.Statistics;

namespace OrleansFlow.Grains.Tests.Statistics;

public sealed class GaussianStatisticsTests
{
    [Fact]
    public void ReadNpz_CompressedNumpyFileWithExtraArrays_ReadsMuAndSigma()
    {
        IReadOnlyDictionary<string, NpyArray> golden = GoldenFiles.ReadNpz("compressed.npz");

        GaussianStatistics statistics = GaussianStatistics.ReadNpz(GoldenFiles.PathOf("compressed.npz"));

        Assert.Equal(6, statistics.Dimension);
        Assert.Equal(golden["mu"].ToDoubleArray(), statistics.Mu);
        Assert.Equal(golden["sigma"].ToDoubleArray(), statistics.Sigma);
    }

    [Fact]
    public void ReadNpz_AdmReferenceBatchLayout_IgnoresImagesAndPoolStatistics()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.Combine("VIRTUAL_tiny.npz");
        using (var writer = new NpzWriter(path))
        {
            writer.Write("arr_0", new byte[2 * 4 * 4 * 3], 2, 4, 4, 3);
            writer.Write("mu", [1.0, 2.0], 2);
            writer.Write("sigma", [2.0, 0.5, 0.5, 1.0], 2, 2);
            writer.Write("mu_s", [0.0], 1);
            writer.Write("sigma_s", [1.0], 1, 1);
        }

        GaussianStatistics statistics = GaussianStatistics.ReadNpz(path);

        Assert.Equal([1.0, 2.0], statistics.Mu);
        Assert.Equal([2.0, 0.5, 0.5, 1.0], statistics.Sigma);
    }

    [Fact]
    public void WriteNpz_ThenReadNpz_RoundTripsExactly()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.Combine("stats.npz");
        var statistics = new GaussianStatistics([0.1, -3e-300, 7], [1, 0.2, 0.3, 0.2, 2, 1e-17, 0.3, 1e-17, 3]);

        statistics.WriteNpz(path);
        GaussianStatistics restored = GaussianStatistics.ReadNpz(path);

        Assert.Equal(statistics.Mu, restored.Mu);
        Assert.Equal(statistics.Sigma, restored.Sigma);
    }

    [Fact]
    public void ReadNpz_MissingSigma_ThrowsNamingFileAndKey()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.Combine("only_mu.npz");
        using (var writer = new NpzWriter(path))
        {
            writer.Write("mu", [1.0, 2.0], 2);
        }

        var error = Assert.Throws<InvalidDataException>(() => GaussianStatistics.ReadNpz(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("no array 'sigma'", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ReadNpz_SigmaShapeNotMatchingMu_Throws()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.Combine("mismatch.npz");
        using (var writer = new NpzWriter(path))
        {
            writer.Write("mu", [1.0, 2.0, 3.0], 3);
            writer.Write("sigma", [1.0, 0.0, 0.0, 1.0], 2, 2);
        }

        var error = Assert.Throws<InvalidDataException>(() => GaussianStatistics.ReadNpz(path));

        Assert.Contains("'sigma' must have shape (3, 3)", error.Message);
    }
}
