using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// The shared state of a cluster: membership, jobs and shard leases. Two implementations keep the same
/// contract: in memory (embedded mode) and PostgreSQL (silos on many nodes). Times are the store's:
/// a lease is expired when the store's clock says so, never a silo's. A call that fails for a transient
/// reason (database restarting, connection lost) throws <see cref="ClusterStoreUnavailableException"/>:
/// the caller retries later, the store recovers on its own.
/// </summary>
public interface IClusterStore
{
    /// <summary>Creates or upgrades the schema; safe to call from every silo at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Whether the schema is current and the store answers.</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);

    /// <summary>Registers the node or refreshes its heartbeat, address, capacity and warm inventory.</summary>
    Task HeartbeatAsync(NodeInfo node, CancellationToken cancellationToken);

    /// <summary>Nodes whose last heartbeat is within <paramref name="maxAge"/>.</summary>
    Task<IReadOnlyList<NodeRecord>> ListNodesAsync(TimeSpan maxAge, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a job and its shards (<see cref="ShardRange.Plan"/>). With an idempotency key that was
    /// used before, returns that job instead and creates nothing, also under concurrent submissions.
    /// </summary>
    Task<SubmitResult> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken);

    Task<JobRecord?> GetJobAsync(JobId id, CancellationToken cancellationToken);

    /// <summary>The most recent jobs first.</summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels a job that is not finished: no shard of it is claimed again and its leases end at once
    /// (their holders' renewals and completions then fail). False if the job is unknown or finished.
    /// </summary>
    Task<bool> CancelJobAsync(JobId id, CancellationToken cancellationToken);

    /// <summary>
    /// Leases one claimable shard of a running job (pending, or leased with an expired lease) to
    /// <paramref name="nodeId"/> for <paramref name="ttl"/>, incrementing its token and attempt count.
    /// Prefers shards whose (model, resolution) is in <paramref name="warm"/>; otherwise the lowest
    /// shard index across jobs, older job first, so concurrent jobs progress together. A reclaimed
    /// shard that already used up its attempts fails its job instead. Null when nothing is claimable.
    /// A lease taken over from an expired one says so (<see cref="ShardLease.Reclaimed"/>).
    /// </summary>
    Task<ShardLease?> ClaimShardAsync(string nodeId, IReadOnlyCollection<SamplerKey> warm, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Shards of running jobs by state, cluster-wide (the telemetry's pending/claimed gauge).</summary>
    Task<ShardCounts> CountShardsAsync(CancellationToken cancellationToken);

    /// <summary>Extends the lease if it is still this token's; false means the lease is lost: stop work on it.</summary>
    Task<bool> RenewShardAsync(ShardLease lease, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Marks the shard done if the lease is still this token's (and unexpired); false otherwise.</summary>
    Task<bool> CompleteShardAsync(ShardLease lease, CancellationToken cancellationToken);

    /// <summary>Hands the shard back without counting the attempt (a graceful stop).</summary>
    Task<bool> ReleaseShardAsync(ShardLease lease, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed attempt with its error; the shard becomes claimable again, or, once its
    /// attempts reach the job's bound, the shard and its job fail with the error.
    /// </summary>
    Task<bool> FailShardAsync(ShardLease lease, string error, CancellationToken cancellationToken);

    /// <summary>Releases every lease a stopping node holds (attempts not counted) and removes it from membership.</summary>
    Task<int> LeaveAsync(string nodeId, CancellationToken cancellationToken);

    /// <summary>
    /// Leases the finalisation of one running job whose shards are all done (or one whose previous
    /// finaliser's lease expired). Null when there is none.
    /// </summary>
    Task<FinalizeLease?> ClaimFinalizationAsync(string nodeId, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Marks the job succeeded with its summary if the finalisation lease is still this token's.</summary>
    Task<bool> CompleteJobAsync(FinalizeLease lease, JobSummary summary, CancellationToken cancellationToken);

    /// <summary>Marks the job failed with the error if the finalisation lease is still this token's.</summary>
    Task<bool> FailJobAsync(FinalizeLease lease, string error, CancellationToken cancellationToken);
}
