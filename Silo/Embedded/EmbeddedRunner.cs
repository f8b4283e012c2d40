using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansFlow.Actors;
using OrleansFlow.Cluster;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Embedded;

/// <summary>
/// Runs a whole job in this process with the cluster's own machinery — an in-memory cluster store,
/// sampler actors, worker loops and the finaliser — over the output directory as blob store. Each
/// shard's result is written atomically and a shard whose result exists is not run again, so killing
/// the process at any point loses at most the shards in flight and <c>--resume</c> finishes the rest.
/// </summary>
public static class EmbeddedRunner
{
    private const string NodeId = "embedded";

    public static Task<JobSummary> RunAsync(
        JobSpec spec, string outputDirectory, RunOptions options, IProgress<JobProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(spec, outputDirectory, options, progress, samplers: null, cancellationToken);

    /// <param name="samplers">
    /// Sampler actors to run on; pass one directory to several jobs so they share warm models, as the
    /// jobs of one silo do. Null = a fresh directory for this job.
    /// </param>
    public static async Task<JobSummary> RunAsync(
        JobSpec spec, string outputDirectory, RunOptions options, IProgress<JobProgress>? progress, SamplerDirectory? samplers, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1);
        samplers ??= new SamplerDirectory(new SamplerDirectoryOptions());
        var job = ResolvedJob.Create(spec, samplers.Get(spec.Model).Model);
        OutputDirectory.Prepare(outputDirectory, spec, options);
        var blobs = new LocalDirectoryBlobStore(outputDirectory);
        var layout = new JobLayout();
        if (await blobs.ExistsAsync(layout.Summary, cancellationToken))
        {
            // A resume of a finished job: nothing to do, report what it produced.
            return JobJson.Deserialize<JobSummary>(await blobs.ReadAllBytesAsync(layout.Summary, cancellationToken));
        }

        var output = JobOutput.For(job, blobs, layout);
        long alreadyDone = 0;
        var resumedShards = 0;
        foreach (var shard in job.Shards)
        {
            if (await blobs.ExistsAsync(output.ShardResult(shard), cancellationToken))
            {
                alreadyDone += shard.Count;
                resumedShards++;
            }
        }

        var store = new InMemoryClusterStore();
        var jobId = JobId.New();
        // One attempt: a shard that throws here will throw again; fail fast and let the user --resume.
        await store.SubmitAsync(new JobSubmission(jobId, spec, job.Model.Info.Key, IdempotencyKey: null, MaxAttempts: 1), cancellationToken);

        var clock = Stopwatch.StartNew();
        long generated = 0;
        progress?.Report(new JobProgress(alreadyDone, spec.Samples, 0, TimeSpan.Zero));
        var worker = new WorkerOptions { NodeId = NodeId, Workers = options.Workers, IdlePoll = TimeSpan.FromMilliseconds(20) };
        var loop = new WorkerLoop(
            store,
            new ShardExecutor(store, blobs, samplers, worker, NullLogger<ShardExecutor>.Instance),
            new JobFinalizer(store, blobs, samplers, worker, NullLogger<JobFinalizer>.Instance),
            samplers,
            worker,
            NullLogger<WorkerLoop>.Instance)
        {
            LayoutOf = _ => layout,
            SamplesGenerated = samples =>
            {
                var total = Interlocked.Add(ref generated, samples);
                progress?.Report(new JobProgress(alreadyDone + total, spec.Samples, total, clock.Elapsed));
            },
            RunOf = _ => new RunRecord(clock.Elapsed.TotalSeconds, Interlocked.Read(ref generated), resumedShards, job.Model.Backend.Name),
        };

        async Task<bool> JobFinished(CancellationToken ct) => (await store.GetJobAsync(jobId, ct))!.IsFinished;
        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(_ => Task.Run(() => loop.RunAsync(JobFinished, cancellationToken), CancellationToken.None)));
        cancellationToken.ThrowIfCancellationRequested();

        var record = (await store.GetJobAsync(jobId, CancellationToken.None))!;
        OutputDirectory.Tidy(outputDirectory);
        return record.State == JobState.Succeeded
            ? record.Summary!
            : throw new JobFailedException(record.Error ?? $"job ended {record.State}");
    }
}
