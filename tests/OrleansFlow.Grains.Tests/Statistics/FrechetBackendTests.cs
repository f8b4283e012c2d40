using System.Globalization;
using System.Text.Json;
using OrleansFlow.Statistics;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Grains.Tests.Statistics;

/// <summary>
/// The native (OpenBLAS LAPACK) and managed (MathNet) paths of <see cref="FrechetDistance"/>: the same
/// value to 1e-9 relative (full rank), native chosen whenever libopenblas.so.0 loads (./run-tests installs
/// Debian's libopenblas0-pthread), and the native path against scipy at Inception's 2,048 dimensions.
/// </summary>
public sealed class FrechetBackendTests(ITestOutputHelper output)
{
    private const double AgreementTolerance = 1e-9;

    /// <summary>
    /// Singular covariances: the ~70 zero eigenvalues of σ₁σ₂ come out of any float64 solver as ±1e-16
    /// noise whose square roots (~1e-8 each) enter the trace, so two solvers agree only to ~3e-9 (as
    /// FrechetDistanceTests' rank-deficient case against scipy).
    /// </summary>
    private const double RankDeficientAgreementTolerance = 1e-8;

    [Theory]
    [InlineData(200, 600, AgreementTolerance)] // full rank: both covariances take the Cholesky factor
    [InlineData(160, 90, RankDeficientAgreementTolerance)] // fewer samples than dimensions: singular, the eigen factor
    public void Compute_NativeAndManaged_Agree(int dimension, int samples, double tolerance)
    {
        var random = new Random(dimension + samples);
        GaussianStatistics first = SampleStatistics(random, dimension, samples, scale: 1.0);
        GaussianStatistics second = SampleStatistics(random, dimension, samples, scale: 1.4);

        FrechetResult native = FrechetDistance.Compute(first, second, FrechetBackend.Native);
        FrechetResult managed = FrechetDistance.Compute(first, second, FrechetBackend.Managed);

        double relative = Math.Abs(native.Fid - managed.Fid) / Math.Abs(managed.Fid);
        output.WriteLine($"{dimension}-d from {samples} samples: native {native.Fid:R}, managed {managed.Fid:R}, relative {relative:E2}");
        Assert.True(relative <= tolerance, $"native {native.Fid:R} vs managed {managed.Fid:R}: relative {relative:E2}");
        Assert.Contains("OpenBLAS", native.Method);
        Assert.Contains("MathNet", managed.Method);
    }

    [Fact]
    public void Compute_Auto_RunsOnOpenBlasWhenInstalled()
    {
        Assert.True(FrechetDistance.NativeAvailable, "libopenblas.so.0 is not loadable: apt-get install libopenblas0-pthread (./run-tests does)");
        var statistics = new GaussianStatistics([0, 1], [2, 0.5, 0.5, 1]);

        FrechetResult result = FrechetDistance.Compute(statistics, statistics);

        Assert.StartsWith(FrechetDistance.Formula, result.Method);
        Assert.Contains("LAPACK: OpenBLAS", result.Method);
    }

    [NumpyFact]
    public async Task Compute_Native2048Dimensions_MatchesScipySqrtm()
    {
        using var directory = new TemporaryDirectory();
        JsonElement peer = await DebianPython.RunFileJsonAsync(
            GoldenFiles.ToolPath("frechet_bench.py"), TimeSpan.FromMinutes(10), directory.Path, "--dimension", "2048", "--samples", "4096");
        GaussianStatistics first = GaussianStatistics.ReadNpz(System.IO.Path.Combine(directory.Path, "first.npz"));
        GaussianStatistics second = GaussianStatistics.ReadNpz(System.IO.Path.Combine(directory.Path, "second.npz"));
        double expected = peer.GetProperty("fid").GetDouble();

        FrechetResult result = FrechetDistance.Compute(first, second, FrechetBackend.Native);

        double relative = Math.Abs(result.Fid - expected) / Math.Abs(expected);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"2048-d: native {result.Fid:R}, pytorch-fid (scipy, {peer.GetProperty("seconds").GetDouble():F1} s) {expected:R}, relative {relative:E2}"));
        Assert.True(relative <= AgreementTolerance, $"native {result.Fid:R} vs scipy {expected:R}: relative {relative:E2}");
    }

    /// <summary>Mean and ddof = 1 covariance of correlated Gaussian draws, as fid_golden.py's sample_statistics.</summary>
    private static GaussianStatistics SampleStatistics(Random random, int dimension, int samples, double scale)
    {
        double[] mixing = [.. Enumerable.Range(0, dimension * dimension).Select(_ => Normal(random) * scale / Math.Sqrt(dimension))];
        var moments = new FeatureMoments(dimension);
        var draw = new double[dimension];
        var feature = new float[dimension];
        for (int sample = 0; sample < samples; sample++)
        {
            for (int i = 0; i < dimension; i++)
            {
                draw[i] = Normal(random);
            }

            for (int row = 0; row < dimension; row++)
            {
                double sum = 0.3 * row / dimension;
                for (int column = 0; column < dimension; column++)
                {
                    sum += mixing[(row * dimension) + column] * draw[column];
                }

                feature[row] = (float)sum;
            }

            moments.Add(feature);
        }

        return moments.ToGaussian();
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
