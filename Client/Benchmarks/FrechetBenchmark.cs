using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrleansFlow.Statistics;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>
/// <c>orleansflow bench-frechet</c>: one run on one pair of statistics. <c>tools/frechet_bench.py</c>
/// draws them (written as pytorch-fid .npz files) and times pytorch-fid's formula with scipy's sqrtm;
/// then <see cref="FrechetDistance"/> on the same files, natively and (optionally) managed.
/// </summary>
internal sealed class FrechetBenchmark(FrechetBenchmarkOptions options, TextWriter output)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var culture = CultureInfo.InvariantCulture;
        var directory = Directory.CreateTempSubdirectory("orleansflow-frechet-");
        try
        {
            using var peer = await RunPeerAsync(directory.FullName, cancellationToken);
            double peerFid = peer.RootElement.GetProperty("fid").GetDouble();
            double peerSeconds = peer.RootElement.GetProperty("seconds").GetDouble();
            var first = GaussianStatistics.ReadNpz(Path.Combine(directory.FullName, "first.npz"));
            var second = GaussianStatistics.ReadNpz(Path.Combine(directory.FullName, "second.npz"));

            await output.WriteLineAsync(string.Create(culture,
                $"bench-frechet: {options.Dimension}-d statistics of {options.Samples} samples each, {Environment.ProcessorCount} cores; numpy BLAS {peer.RootElement.GetProperty("blas").GetString()}"));
            await output.WriteLineAsync("  method                                         seconds   vs pytorch-fid   FID                      relative difference");
            await WriteRowAsync("pytorch-fid formula, scipy sqrtm (Python)", peerSeconds, peerSeconds, peerFid, peerFid);

            var backends = options.Managed ? new[] { FrechetBackend.Native, FrechetBackend.Managed } : [FrechetBackend.Native];
            foreach (var backend in backends)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                var result = FrechetDistance.Compute(first, second, backend);
                double seconds = clock.Elapsed.TotalSeconds;
                await WriteRowAsync($"FrechetDistance, {backend.ToString().ToLowerInvariant()}", seconds, peerSeconds, result.Fid, peerFid);
                await output.WriteLineAsync($"    ({result.Method})");
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private Task WriteRowAsync(string method, double seconds, double peerSeconds, double fid, double peerFid) =>
        output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  {method,-44} {seconds,9:F2} {seconds / peerSeconds,14:F2}x   {fid,-24:R} {Math.Abs(fid - peerFid) / Math.Abs(peerFid),10:E2}"));

    private Task<JsonDocument> RunPeerAsync(string directory, CancellationToken cancellationToken) =>
        PythonPeer.RunAsync(
            options.Python,
            options.Script,
            [directory, "--dimension", options.Dimension.ToString(CultureInfo.InvariantCulture), "--samples", options.Samples.ToString(CultureInfo.InvariantCulture)],
            cancellationToken);
}

internal sealed record FrechetBenchmarkOptions(int Dimension, int Samples, bool Managed, string Python, string Script);
