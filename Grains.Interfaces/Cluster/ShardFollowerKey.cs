namespace OrleansFlow.Cluster;

/// <summary>
/// The key of a shard follower grain: the silo it is pinned to, the job and the epoch of the scheduler activation
/// that adopts the job's runs there. One scheduler activation, one fresh grain per silo: its directory entry is
/// made after the silo death that moved the scheduler, so that death cannot hold its calls
/// (<see cref="IShardFollowerGrain"/>). Same form as <see cref="SamplerGrainKey"/>: the silo first.
/// </summary>
public readonly record struct ShardFollowerKey(string Silo, string Job, long Epoch)
{
    public string ToGrainKey() => new SamplerGrainKey(Silo, $"{Job}/{Epoch}").ToGrainKey();
}
