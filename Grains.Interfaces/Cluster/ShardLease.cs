using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// The right to run one shard until <see cref="ExpiresAt"/> (by the store's clock). Every renewal,
/// completion and release must present <see cref="Token"/>: each claim increments it, so a silo whose
/// lease expired and was reclaimed can never write again (a fencing token). <see cref="Reclaimed"/>
/// is true when the shard was taken over from a lease that had expired (its holder died or stalled).
/// </summary>
public sealed record ShardLease(ShardId Shard, ShardRange Range, JobSpec Spec, string Owner, long Token, int Attempt, DateTimeOffset ExpiresAt, bool Reclaimed = false);
