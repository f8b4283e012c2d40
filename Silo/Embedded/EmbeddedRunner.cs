using System.Diagnostics;
using OrleansFlow.Jobs;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Embedded;

/// <summary>
/// Runs a whole job in this process: the shards not yet finished run in parallel, each writes its
/// result atomically, and once all are finished the job is finalised. Killing the process at any
/// point loses at most the shards in flight; <c>--resume</c> finishes the rest.
/// </summary>
public static class EmbeddedRunner
{
    public static async Task<JobSummary> RunAsync(
        JobSpec spec, string outputDirectory, RunOptions options, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1);
        var job = ResolvedJob.Create(spec);
        OutputDirectory.Prepare(outputDirectory, spec, options);
        var store = new LocalDirectoryBlobStore(outputDirectory);
        var layout = new JobLayout();
        var output = JobOutput.For(job, store, layout);

        if (await store.ExistsAsync(layout.Summary, cancellationToken))
        {
            // A resume of a finished job: nothing to do, report what it produced.
            return JobJson.Deserialize<JobSummary>(await store.ReadAllBytesAsync(layout.Summary, cancellationToken));
        }

        var pending = new List<ShardRange>();
        foreach (var shard in job.Shards)
        {
            if (!await store.ExistsAsync(output.ShardResult(shard), cancellationToken))
            {
                pending.Add(shard);
            }
        }

        var clock = Stopwatch.StartNew();
        long alreadyDone = spec.Samples - pending.Sum(s => (long)s.Count);
        long generated = 0;
        void Report(int samples)
        {
            var total = Interlocked.Add(ref generated, samples);
            progress?.Report(new JobProgress(alreadyDone + total, spec.Samples, total, clock.Elapsed));
        }

        progress?.Report(new JobProgress(alreadyDone, spec.Samples, 0, TimeSpan.Zero));
        await Parallel.ForEachAsync(
            pending,
            new ParallelOptions { MaxDegreeOfParallelism = options.Workers, CancellationToken = cancellationToken },
            async (shard, ct) => await output.RunShardAsync(shard, Report, ct));

        var run = new RunRecord(clock.Elapsed.TotalSeconds, generated, job.Shards.Count - pending.Count, job.Model.Backend.Name);
        var summary = await output.FinalizeAsync(run, cancellationToken);
        summary = summary with { Outputs = [layout.Relative(layout.Summary), .. summary.Outputs] };
        await store.TryCreateAsync(layout.Summary, JobJson.Serialize(summary), cancellationToken);
        OutputDirectory.Tidy(outputDirectory);
        return summary;
    }
}
