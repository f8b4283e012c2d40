using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// A validated job to record in the job catalog. <paramref name="IdempotencyKey"/> makes a retried
/// submission return the first job; <paramref name="MaxAttempts"/> bounds the dispatches of each shard.
/// </summary>
public sealed record JobSubmission(JobId Id, JobSpec Spec, string? IdempotencyKey, int MaxAttempts = JobSubmission.DefaultMaxAttempts)
{
    public const int DefaultMaxAttempts = 3;
}
