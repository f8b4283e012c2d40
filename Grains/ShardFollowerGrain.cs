using Orleans;
using Orleans.Concurrency;

namespace OrleansFlow.Cluster;

/// <summary>
/// Follows runs on its silo's <see cref="RunningShards"/> for one scheduler activation
/// (<see cref="IShardFollowerGrain"/>); holds no state of its own. Reentrant: it follows all the runs an
/// activation adopts on the silo at once.
/// </summary>
[SiloPinnedPlacement]
[Reentrant]
public sealed class ShardFollowerGrain(RunningShards running) : Grain, IShardFollowerGrain
{
    public Task<ShardReport> FollowAsync(string job, int index, long token, CancellationToken cancellationToken) =>
        running.Find(job, index, token)?.FollowAsync(cancellationToken) ?? Task.FromResult(new ShardReport(ShardOutcome.NotRunning, 0));
}
