using OrleansFlow.Ids;

namespace OrleansFlow.Cluster;

/// <summary>
/// The per-shard half of a job's ledger: one row per shard that left its initial state (pending, never
/// dispatched), written by the job's scheduler one changed shard at a time, so the bytes a shard event
/// writes do not depend on how many shards the job has (DESIGN.md, "Scale contracts"). The job-level half
/// (state, summary, times) is the scheduler's grain state, <see cref="JobLedger"/>.
/// </summary>
/// <remarks>
/// Writes are fenced by an epoch: each scheduler activation that will write claims the next epoch
/// (<see cref="ClaimAsync"/>), and a write under an older epoch is refused as a whole
/// (<see cref="ShardLedgerFencedException"/>), so of two twin activations only the newer one can record anything.
/// </remarks>
public interface IShardLedger
{
    /// <summary>Makes the caller the job's only writer from now on; returns its epoch (1 for the first activation).</summary>
    Task<long> ClaimAsync(JobId job, CancellationToken cancellationToken);

    /// <summary>Every row the job has, in shard order; shards without a row are pending with no attempt.</summary>
    Task<IReadOnlyList<ShardRow>> ReadAsync(JobId job, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces <paramref name="rows"/> in one transaction if <paramref name="epoch"/> is still the job's.</summary>
    /// <exception cref="ShardLedgerFencedException">A newer activation claimed the job.</exception>
    Task WriteAsync(JobId job, long epoch, IReadOnlyCollection<ShardRow> rows, CancellationToken cancellationToken);
}

/// <summary>One shard's entry: its status, the attempts that counted, the current dispatch's token and silo, the last error.</summary>
public sealed record ShardRow(
    int Index,
    ShardStatus Status,
    int Attempts,
    long Token,
    string? Silo,
    string? Error,
    long SamplesGenerated,
    bool Resumed)
{
    /// <summary>Errors are kept to this many characters, so that a row's size is bounded too.</summary>
    public const int MaxErrorLength = 1_000;

    public static string? Clip(string? error) => error is { Length: > MaxErrorLength } ? error[..MaxErrorLength] : error;
}

/// <summary>A write under an epoch a newer scheduler activation has superseded.</summary>
public sealed class ShardLedgerFencedException(JobId job, long epoch)
    : Exception($"job {job}: shard ledger epoch {epoch} superseded by a newer scheduler activation");
