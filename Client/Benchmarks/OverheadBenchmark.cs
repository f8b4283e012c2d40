using System.Diagnostics;
using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Silo.Embedded;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>
/// Part (a): the same FID job through <see cref="EmbeddedRunner"/> and through <see cref="DirectLoop"/>,
/// serial and with the runner's parallelism. The runs are interleaved, each round in a rotated order,
/// so a noisy neighbour or a warm cache does not always favour the same variant.
/// </summary>
internal static class OverheadBenchmark
{
    public static async Task<OverheadReport> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var spec = settings.FidJob(settings.OverheadSampler, settings.OverheadSamples);

        var scratch = Directory.CreateTempSubdirectory("orleansflow-bench-");
        try
        {
            var variants = Variants(settings.Workers, scratch.FullName, cancellationToken);
            // One untimed run of each at full size: a smaller one left tiered compilation unfinished and
            // the first timed run up to 3x slower.
            foreach (var variant in variants)
            {
                await variant.RunAsync(spec);
            }

            var seconds = variants.Select(_ => new List<double>()).ToArray();
            var fids = new List<double>();
            for (var round = 0; round < settings.Repetitions; round++)
            {
                for (var j = 0; j < variants.Length; j++)
                {
                    var v = (round + j) % variants.Length;
                    // Garbage of the previous run must not be collected on this run's clock.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var clock = Stopwatch.StartNew();
                    fids.Add(await variants[v].RunAsync(spec));
                    seconds[v].Add(clock.Elapsed.TotalSeconds);
                }
            }

            var embeddedMedian = Median(seconds[0]);
            var results = variants.Select((variant, v) => new OverheadVariant(
                variant.Name,
                variant.Workers,
                variant.Includes,
                seconds[v],
                Median(seconds[v]),
                seconds[v].Min(),
                spec.Samples / Median(seconds[v]),
                embeddedMedian / Median(seconds[v]))).ToList();
            return new OverheadReport(spec.Sampler, spec.Samples, spec.ShardSize, spec.BatchSize, settings.Repetitions, results, fids[0], fids.All(f => f == fids[0]));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static Variant[] Variants(int workers, string scratch, CancellationToken cancellationToken)
    {
        var runs = 0;
        return
        [
            new("embedded runner", workers,
                "EmbeddedRunner.RunAsync end to end: job resolution, output directory, shards in parallel, a Task.Run per batch, " +
                "per-shard .npz, read back and merge, Fréchet distance, stats.npz, labels.npy, summary.json",
                async spec =>
                {
                    // A fresh folder per run (deleted with the scratch folder, off the clock).
                    var directory = Path.Combine(scratch, $"run-{++runs}");
                    var summary = await EmbeddedRunner.RunAsync(spec, directory, new RunOptions { Workers = workers }, progress: null, cancellationToken);
                    return summary.Fid!.Value;
                }),
            new("direct loop, serial", 1,
                "ResolvedJob, then shard after shard and batch after batch on one thread (BatchGenerator.Generate), " +
                "per-shard FeatureMoments merged in shard order, Fréchet distance; no storage",
                spec => Task.FromResult(DirectLoop.Fid(ResolvedJob.Create(spec), workers: 1, cancellationToken))),
            new("direct loop, parallel", workers,
                "the same, with as many shards at once as the runner (Parallel.ForEach)",
                spec => Task.FromResult(DirectLoop.Fid(ResolvedJob.Create(spec), workers, cancellationToken))),
        ];
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>One way of running the job; returns its FID so that the variants can be checked to do the same work.</summary>
    private sealed record Variant(string Name, int Workers, string Includes, Func<JobSpec, Task<double>> RunAsync);
}
