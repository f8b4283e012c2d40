using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>The right to finalise a job whose shards are all done; fenced by <see cref="Token"/> like a shard lease.</summary>
public sealed record FinalizeLease(JobId Job, JobSpec Spec, string Owner, long Token, DateTimeOffset ExpiresAt);
