using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// One dispatch of a shard: which job and range, under which token (the scheduler counts a report
/// only if its token is still the shard's current one) and which attempt. Small on purpose: the
/// samples go to blob storage, never through grain messages.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.ShardWork")]
public sealed record ShardWork(
    [property: Id(0)] string Job,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] ShardRange Range,
    [property: Id(3)] long Token,
    [property: Id(4)] int Attempt);
