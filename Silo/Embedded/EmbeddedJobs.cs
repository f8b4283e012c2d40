using System.Collections.Concurrent;
using OrleansFlow.Cluster;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Embedded;

/// <summary>
/// The embedded silo's view of its jobs: each job writes into its own output directory (the job is
/// the directory, no prefix), and its generated samples feed the caller's progress bar.
/// </summary>
internal sealed class EmbeddedJobs : IJobStorage, IShardProgress
{
    private readonly ConcurrentDictionary<JobId, (JobStorage Storage, Action<int> Progress)> _jobs = new();

    public void Register(JobId job, string outputDirectory, Action<int> progress) =>
        _jobs[job] = (new JobStorage(new LocalDirectoryBlobStore(outputDirectory), new JobLayout()), progress);

    public void Forget(JobId job) => _jobs.TryRemove(job, out _);

    public JobStorage For(JobId job) =>
        _jobs.TryGetValue(job, out var entry) ? entry.Storage : throw new InvalidOperationException($"job {job} is not registered with the embedded silo");

    public void SamplesGenerated(JobId job, int samples)
    {
        if (_jobs.TryGetValue(job, out var entry))
        {
            entry.Progress(samples);
        }
    }
}
