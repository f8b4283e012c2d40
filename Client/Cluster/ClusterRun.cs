using System.Diagnostics;
using OrleansFlow.Jobs;

namespace OrleansFlow.Client.Cluster;

/// <summary>
/// Runs a job on a cluster instead of in this process (over HTTP or as an Orleans client, see
/// <see cref="IClusterJobs"/>): submits it (idempotently), shows the same
/// progress bar from the job's progress updates, and, when asked, writes its <c>summary.json</c> locally.
/// </summary>
public static class ClusterRun
{
    public static async Task<JobSummary> RunAsync(
        JobSpec spec, IClusterJobs client, string? outDirectory, IProgress<JobProgress>? progress, TextWriter error, CancellationToken cancellationToken)
    {
        if (outDirectory is not null && Directory.Exists(outDirectory) && Directory.EnumerateFileSystemEntries(outDirectory).Any())
        {
            throw new SpecException("out", $"'{outDirectory}' already exists: choose an empty directory for the summary");
        }

        // One key per invocation: a retried submission (lost response) returns the same job.
        var submitted = await client.SubmitAsync(spec, Guid.NewGuid().ToString("N"), cancellationToken);
        await error.WriteLineAsync($"orleansflow: job {submitted.Id} submitted ({submitted.ShardCount} shards)");
        var clock = Stopwatch.StartNew();
        var firstDone = submitted.SamplesDone;
        var last = submitted;
        try
        {
            await foreach (var update in client.FollowAsync(submitted.Id, cancellationToken))
            {
                last = update;
                progress?.Report(new JobProgress(update.SamplesDone, update.Samples, update.SamplesDone - firstDone, clock.Elapsed));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"orleansflow: stopped following job {submitted.Id}; it continues on the cluster");
            throw;
        }

        if (!last.IsFinished)
        {
            // The event stream ended early (a silo restarted): ask for the job's state directly.
            last = await client.GetAsync(submitted.Id, cancellationToken);
        }

        if (last.State != "succeeded" || last.Summary is null)
        {
            throw new JobFailedException($"job {last.Id} {last.State}: {last.Error ?? "no error recorded"}");
        }

        if (outDirectory is not null)
        {
            Directory.CreateDirectory(outDirectory);
            await File.WriteAllBytesAsync(Path.Combine(outDirectory, "summary.json"), JobJson.Serialize(last.Summary), cancellationToken);
        }

        return last.Summary;
    }
}
