using OrleansFlow.Ids;

namespace OrleansFlow.Cluster;

/// <summary>What a silo announces with each heartbeat: where it is, how many shards it runs at once, what it holds warm.</summary>
public sealed record NodeInfo(string NodeId, string Address, int Capacity, IReadOnlyList<SamplerKey> Warm);

/// <summary>A member of the cluster and when the store last heard from it (store clock).</summary>
public sealed record NodeRecord(NodeInfo Node, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeat);
