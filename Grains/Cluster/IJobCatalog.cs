using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>A job as the catalog records it at submission.</summary>
public sealed record CatalogEntry(JobId Id, JobSpec Spec, int MaxAttempts, DateTimeOffset CreatedAt);

/// <summary>The catalog's answer to a submission: the job, and whether this submission created it.</summary>
public sealed record CatalogAdd(CatalogEntry Entry, bool Created);

/// <summary>
/// What Orleans has no place for: the list of jobs (grains cannot be enumerated), idempotency keys
/// (a unique index), and each unfinished job's outstanding shards (what KEDA scales on and what a
/// silo pokes after a membership change). The ledger itself is the scheduler grain's state and its
/// <see cref="IShardLedger"/> rows.
/// </summary>
public interface IJobCatalog
{
    /// <summary>Records the job; with an idempotency key used before, returns that job instead, also under concurrent submissions.</summary>
    Task<CatalogAdd> AddAsync(JobSubmission submission, CancellationToken cancellationToken);

    Task<CatalogEntry?> GetAsync(JobId id, CancellationToken cancellationToken);

    /// <summary>The most recent jobs first.</summary>
    Task<IReadOnlyList<JobId>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Jobs whose scheduler has not reported them finished.</summary>
    Task<IReadOnlyList<JobId>> ListUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>The scheduler's report: shards not yet done, and whether the job ended.</summary>
    Task ReportAsync(JobId id, int outstandingShards, bool finished, CancellationToken cancellationToken);
}
