using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Storage;

namespace OrleansFlow.Cluster;

/// <summary>Where one job's blobs go: a store and the names inside it.</summary>
public sealed record JobStorage(IBlobStore Blobs, JobLayout Layout);

/// <summary>Resolves a job's blob store and layout on a silo.</summary>
public interface IJobStorage
{
    JobStorage For(JobId job);
}

/// <summary>A cluster's shared store: every job under <c>jobs/&lt;id&gt;/</c>.</summary>
public sealed class SharedJobStorage(IBlobStore blobs) : IJobStorage
{
    public JobStorage For(JobId job) => new(blobs, new JobLayout($"jobs/{job}/"));
}
