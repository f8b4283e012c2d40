using OrleansFlow.Formats;
using OrleansFlow.Statistics;
using Xunit.Abstractions;

namespace OrleansFlow.Grains.Tests.Statistics;

public sealed class FrechetDistanceTests(ITestOutputHelper output)
{
    /// <summary>Relative agreement required with pytorch-fid's scipy-based value for full-rank covariances.</summary>
    private const double FullRankTolerance = 1e-12;

    /// <summary>
    /// With singular covariances the ~29 zero eigenvalues of σ₁σ₂ come out of any float64 solver as
    /// ~1e-16 noise whose square roots (~1e-8 each) enter the trace: the value itself is only
    /// determined to about 1e-9 relative. scipy's sqrtm of σ₁σ₂ and of σ₂σ₁ already differ by 4e-10.
    /// </summary>
    private const double RankDeficientTolerance = 1e-8;

    [Theory]
    [InlineData("dim2", FullRankTolerance, FrechetBackend.Native)]
    [InlineData("dim16", FullRankTolerance, FrechetBackend.Native)]
    [InlineData("dim64", FullRankTolerance, FrechetBackend.Native)]
    [InlineData("rank_deficient", RankDeficientTolerance, FrechetBackend.Native)]
    [InlineData("dim2", FullRankTolerance, FrechetBackend.Managed)]
    [InlineData("dim16", FullRankTolerance, FrechetBackend.Managed)]
    [InlineData("dim64", FullRankTolerance, FrechetBackend.Managed)]
    [InlineData("rank_deficient", RankDeficientTolerance, FrechetBackend.Managed)]
    public void Compute_GoldenCase_MatchesPytorchFid(string caseName, double relativeTolerance, FrechetBackend backend)
    {
        (GaussianStatistics first, GaussianStatistics second, double expected, bool expectedRetry) = ReadCase(caseName);

        FrechetResult result = FrechetDistance.Compute(first, second, backend);

        double relativeError = Math.Abs(result.Fid - expected) / Math.Abs(expected);
        output.WriteLine($"{caseName} ({backend}): fid {result.Fid:R}, pytorch-fid {expected:R}, relative error {relativeError:E2}");
        Assert.True(relativeError <= relativeTolerance, $"FID {result.Fid:R} vs pytorch-fid {expected:R}: relative error {relativeError:E2}");
        Assert.Equal(expectedRetry, result.EpsilonRetried);
    }

    /// <summary>
    /// The nearly_identical case's distance in 50-digit arithmetic (mpmath: eigenvalues of σ₁σ₂, Σ √λ),
    /// to tell apart our rounding from scipy's: scipy's sqrtm is 9.1e-11 off it, 3.2e-12 of the traces.
    /// </summary>
    private const double NearlyIdenticalExactFid = 0.029507592130979532;

    [Theory]
    [InlineData(FrechetBackend.Native)]
    [InlineData(FrechetBackend.Managed)]
    public void Compute_NearlyIdenticalDistributions_MatchesExactValueAtTraceScale(FrechetBackend backend)
    {
        (GaussianStatistics first, GaussianStatistics second, double scipy, _) = ReadCase("nearly_identical");

        FrechetResult result = FrechetDistance.Compute(first, second, backend);

        // FID is a small difference of traces here, so rounding is measured against the traces' size.
        double scale = Trace(first) + Trace(second);
        double error = Math.Abs(result.Fid - NearlyIdenticalExactFid);
        output.WriteLine($"nearly_identical ({backend}): fid {result.Fid:R}, exact {NearlyIdenticalExactFid:R}, pytorch-fid {scipy:R}, error/trace scale {error / scale:E2}");
        Assert.True(error <= 1e-12 * scale, $"FID {result.Fid:R} vs exact {NearlyIdenticalExactFid:R}");
        Assert.True(Math.Abs(result.Fid - scipy) <= 1e-11 * scale, $"FID {result.Fid:R} vs pytorch-fid {scipy:R}");
        Assert.True(result.Fid < 0.05);
    }

    [Fact]
    public void Compute_IdenticalStatistics_IsZero()
    {
        (GaussianStatistics first, _, _, _) = ReadCase("dim64");

        FrechetResult result = FrechetDistance.Compute(first, first);

        Assert.Equal(0, result.MeanTerm);
        Assert.True(Math.Abs(result.Fid) <= 1e-12 * Trace(first), $"FID of identical statistics is {result.Fid:R}");
    }

    [Fact]
    public void Compute_DiagonalCovariances_EqualsClosedForm()
    {
        // For commuting covariances the distance is Σ (√a − √b)² + ‖μ₁ − μ₂‖².
        double[] a = [4, 1, 0.25, 0];
        double[] b = [1, 9, 0.25, 2];
        var first = new GaussianStatistics([1, 2, 3, 4], Diagonal(a));
        var second = new GaussianStatistics([1, 0, 3, 5], Diagonal(b));
        double expectedTrace = a.Zip(b, (x, y) => Math.Pow(Math.Sqrt(x) - Math.Sqrt(y), 2)).Sum();

        FrechetResult result = FrechetDistance.Compute(first, second);

        Assert.Equal(5, result.MeanTerm, 15);
        Assert.Equal(expectedTrace, result.TraceTerm, 12);
        Assert.Equal(result.MeanTerm + result.TraceTerm, result.Fid);
        Assert.False(result.EpsilonRetried);
        Assert.StartsWith(FrechetDistance.Formula, result.Method);
    }

    [Fact]
    public void Compute_DimensionMismatch_Throws()
    {
        var first = new GaussianStatistics([0, 0], Diagonal([1, 1]));
        var second = new GaussianStatistics([0, 0, 0], Diagonal([1, 1, 1]));

        var error = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(first, second));

        Assert.Contains("dimension 2 with dimension 3", error.Message);
    }

    /// <summary>FID's spread factors the reference once: the same distances as one by one, to rounding.</summary>
    [Theory]
    [InlineData("dim2", FullRankTolerance)]
    [InlineData("dim16", FullRankTolerance)]
    [InlineData("dim64", FullRankTolerance)]
    [InlineData("rank_deficient", RankDeficientTolerance)]
    public void ComputeAgainst_GoldenCase_AgreesWithComputeAndPytorchFid(string caseName, double relativeTolerance)
    {
        (GaussianStatistics first, GaussianStatistics second, double expected, _) = ReadCase(caseName);

        FrechetResult[] results = FrechetDistance.ComputeAgainst([first, second], second);

        Assert.InRange(Math.Abs(results[0].Fid - expected) / Math.Abs(expected), 0, relativeTolerance);
        Assert.InRange(Math.Abs(results[0].Fid - FrechetDistance.Compute(first, second).Fid) / Math.Abs(expected), 0, relativeTolerance);
        Assert.InRange(Math.Abs(results[1].Fid), 0, 1e-6 * Trace(second));
    }

    /// <summary>The symmetric passes walk 64×64 tiles: a dimension that is no multiple of 64 still checks every element.</summary>
    [Fact]
    public void Compute_DimensionNotMultipleOfTile_ChecksEveryElementAndAgreesWithManaged()
    {
        const int N = 150;
        var random = new Random(21);
        GaussianStatistics Draw()
        {
            var factor = Enumerable.Range(0, N * N).Select(_ => random.NextDouble() - 0.5).ToArray();
            var sigma = new double[N * N];
            for (int i = 0; i < N; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double dot = 0;
                    for (int k = 0; k < N; k++)
                    {
                        dot += factor[(i * N) + k] * factor[(j * N) + k];
                    }

                    sigma[(i * N) + j] = dot;
                }
            }

            return new GaussianStatistics([.. Enumerable.Range(0, N).Select(_ => random.NextDouble())], sigma);
        }

        GaussianStatistics a = Draw(), b = Draw();
        double native = FrechetDistance.Compute(a, b, FrechetBackend.Native).Fid;

        Assert.InRange(Math.Abs(native - FrechetDistance.Compute(a, b, FrechetBackend.Managed).Fid) / native, 0, 1e-9);
        Assert.InRange(Math.Abs(native - FrechetDistance.ComputeAgainst([a], b)[0].Fid) / native, 0, 1e-11);
        var skewed = (double[])a.Sigma.Clone();
        skewed[(140 * N) + 3] += 1;
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(new GaussianStatistics(a.Mu, skewed), b));
    }

    [Fact]
    public void Compute_AsymmetricCovariance_Throws()
    {
        var asymmetric = new GaussianStatistics([0, 0], [1, 0.5, 0, 1]);
        var identity = new GaussianStatistics([0, 0], Diagonal([1, 1]));

        var error = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(asymmetric, identity));

        Assert.Contains("first covariance is not a finite symmetric matrix", error.Message);
    }

    private static (GaussianStatistics First, GaussianStatistics Second, double Fid, bool EpsilonRetried) ReadCase(string caseName)
    {
        IReadOnlyDictionary<string, NpyArray> arrays = GoldenFiles.ReadNpz($"fid_{caseName}.npz");
        return (
            new GaussianStatistics(arrays["mu1"].ToDoubleArray(), arrays["sigma1"].ToDoubleArray()),
            new GaussianStatistics(arrays["mu2"].ToDoubleArray(), arrays["sigma2"].ToDoubleArray()),
            arrays["fid"].ToDoubleArray()[0],
            arrays["eps_retried"].ToInt64Array()[0] != 0);
    }

    private static double Trace(GaussianStatistics statistics) =>
        Enumerable.Range(0, statistics.Dimension).Sum(i => statistics.Sigma[(i * statistics.Dimension) + i]);

    private static double[] Diagonal(double[] values)
    {
        var matrix = new double[values.Length * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            matrix[(i * values.Length) + i] = values[i];
        }

        return matrix;
    }
}
