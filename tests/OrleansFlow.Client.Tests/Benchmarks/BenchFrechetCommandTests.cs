using System.Globalization;
using OrleansFlow.Client.Tests.Support;
using OrleansFlow.Testing;

namespace OrleansFlow.Client.Tests.Benchmarks;

/// <summary>
/// <c>orleansflow bench-frechet</c> on small statistics: both sides run on the same files and print
/// one row each with the same value; times are printed, not asserted.
/// </summary>
public sealed class BenchFrechetCommandTests
{
    [NumpyFact]
    public async Task BenchFrechet_SmallStatistics_PrintsPeerNativeAndManagedWithTheSameValue()
    {
        var result = await Orleansflow.RunAsync("bench-frechet", "--dimension", "48", "--samples", "300", "--managed", "--script", Script());

        Assert.True(result.ExitCode == ExitCodes.Success, $"exit {result.ExitCode}: {result.Error}");
        string[] rows = [.. result.Output.Split('\n').Where(line => line.StartsWith("  pytorch-fid", StringComparison.Ordinal) || line.StartsWith("  FrechetDistance", StringComparison.Ordinal))];
        Assert.Equal(3, rows.Length);
        Assert.Contains("native", rows[1], StringComparison.Ordinal);
        Assert.Contains("managed", rows[2], StringComparison.Ordinal);
        foreach (var row in rows)
        {
            double relative = double.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);
            Assert.True(relative <= 1e-9, row);
        }

        Assert.Contains("LAPACK: OpenBLAS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchFrechet_ZeroDimension_BadInputNamingTheOption()
    {
        var result = await Orleansflow.RunAsync("bench-frechet", "--dimension", "0");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--dimension must be in 1..16384", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    /// <summary>tools/frechet_bench.py of the source tree this test was built from.</summary>
    private static string Script()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var script = Path.Combine(directory.FullName, "tools", "frechet_bench.py");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new InvalidOperationException("tools/frechet_bench.py not found above " + AppContext.BaseDirectory);
    }
}
