using System.Diagnostics;
using OrleansFlow.Client;
using OrleansFlow.Statistics;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// A job's bytes do not depend on the CPUs its process may use (<see cref="BlasThreads"/>): the same digits
/// FID job, run by the CLI as a real process on one CPU (<c>taskset</c>) and on every CPU, writes identical
/// statistics. The third run shows the comparison can fail: with OpenBLAS allowed two threads the same
/// job's statistics differ.
/// </summary>
public class BlasThreadsTests
{
    [Fact]
    public async Task DigitsJob_SameStatisticsOnOneCpuAsOnAll_DifferentWithTwoBlasThreads()
    {
        Assert.True(Environment.ProcessorCount >= 2, "needs two CPUs to compare one with all");
        var scratch = Path.Combine(Path.GetTempPath(), $"orleansflow-blas-{Guid.NewGuid():N}");
        try
        {
            var oneCpu = await StatisticsAsync(Path.Combine(scratch, "one-cpu"), ["taskset", "-c", "0"], blasThreads: null);
            var allCpus = await StatisticsAsync(Path.Combine(scratch, "all-cpus"), [], blasThreads: null);
            var twoThreads = await StatisticsAsync(Path.Combine(scratch, "two-threads"), [], blasThreads: "2");

            Assert.Equal(oneCpu, allCpus);
            Assert.NotEqual(allCpus, twoThreads);
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary>Runs the digits FID job in a CLI process (optionally under <paramref name="prefix"/>) and returns its stats.npz.</summary>
    private static async Task<byte[]> StatisticsAsync(string outDirectory, string[] prefix, string? blasThreads)
    {
        // Batches of 250 through digits-rf's linear layers. Measured with two OpenBLAS threads: shards 2 and 3
        // of this job (not 0 and 1) come out different from one thread, on every run.
        string[] job =
        [
            "fid", "--model", DigitsModels.Package("digits-rf"), "--reference", DigitsModels.Reference, "--sampler", "heun:steps=4",
            "--samples", "2000", "--shard-size", "500", "--batch-size", "250", "--seed", "21", "--out", outDirectory, "--quiet",
        ];
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(prefix.Length > 0 ? prefix[0] : host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in prefix.Skip(1).Concat(prefix.Length > 0 ? [host] : []).Append(typeof(Cli).Assembly.Location).Concat(job))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove(BlasThreads.Variable);
        if (blasThreads is not null)
        {
            start.Environment[BlasThreads.Variable] = blasThreads;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', start.ArgumentList)}: exit {process.ExitCode}\n{await output}\n{await error}");
        return await File.ReadAllBytesAsync(Path.Combine(outDirectory, "stats.npz"));
    }
}
