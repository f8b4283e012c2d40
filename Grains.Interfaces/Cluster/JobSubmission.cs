using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// A validated job to create. <paramref name="Key"/> is the sampler actor its shards need, for
/// placement; <paramref name="IdempotencyKey"/> makes a retried submission return the first job.
/// </summary>
public sealed record JobSubmission(JobId Id, JobSpec Spec, SamplerKey Key, string? IdempotencyKey, int MaxAttempts = JobSubmission.DefaultMaxAttempts)
{
    public const int DefaultMaxAttempts = 3;
}
