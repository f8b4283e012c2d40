namespace OrleansFlow.Cluster;

/// <summary>Shards of unfinished jobs, cluster-wide: waiting to be claimed, and held under a lease (live or expired).</summary>
public readonly record struct ShardCounts(long Pending, long Leased);
