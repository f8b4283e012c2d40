using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>A job whose shards are all done, with what its run did (for the summary).</summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.FinalizeWork")]
public sealed record FinalizeWork(
    [property: Id(0)] string Job,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] double Seconds,
    [property: Id(3)] long SamplesGenerated,
    [property: Id(4)] int ResumedShards);
