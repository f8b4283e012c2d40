namespace OrleansFlow.Cluster;

/// <summary>
/// Follows, for a new scheduler activation, the shard runs an earlier activation started on one silo
/// (<see cref="ShardFollowerKey"/>). Not a method of the silo's <see cref="ISamplerGrain"/>: when a silo dies,
/// Orleans' default grain directory deactivates every activation whose directory entry lived there, and a
/// sampler grain hit by this holds its incoming calls until the shard calls it is serving end — by then the
/// runs to adopt have ended too. This grain is activated only after the death, so nothing holds it.
/// </summary>
[Alias("OrleansFlow.IShardFollowerGrain")]
public interface IShardFollowerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Follows the run of a shard an earlier scheduler activation dispatched with <paramref name="token"/>, to
    /// its report; <see cref="ShardOutcome.NotRunning"/> at once when no such run is on this silo. Cancelling the
    /// call stops the run within one model call.
    /// </summary>
    [Alias("Follow")]
    [ResponseTimeout(LongCall.Timeout)]
    Task<ShardReport> FollowAsync(string job, int index, long token, CancellationToken cancellationToken = default);
}
