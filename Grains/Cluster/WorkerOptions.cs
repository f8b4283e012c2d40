namespace OrleansFlow.Cluster;

/// <summary>How a silo's workers hold leases.</summary>
public sealed record WorkerOptions
{
    /// <summary>Node id in membership and on every lease.</summary>
    public required string NodeId { get; init; }

    /// <summary>Shards run at once by this node.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Lease length; a lease is renewed every third of it.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait between claim attempts when nothing is claimable.</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Wait after a store error before the next try (the store may be restarting).</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RenewInterval => LeaseTtl / 3;

    /// <summary>
    /// Lease length of a job's finalisation, which is not renewed: long enough for the slowest merge
    /// (a 2048-dimensional Fréchet distance takes about a minute on a small CPU). Should a finaliser die,
    /// another node takes over after this long.
    /// </summary>
    public TimeSpan FinalizeTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A test device: a shard for which this returns an exception throws it instead of running
    /// (poison-shard tests). Null in production.
    /// </summary>
    public Func<ShardLease, Exception?>? InjectedFault { get; init; }
}
