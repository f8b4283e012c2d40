namespace OrleansFlow.Cluster;

/// <summary>How one dispatch of a shard ended, with the samples it generated and the error of a failure.</summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.ShardReport")]
public sealed record ShardReport(
    [property: Id(0)] ShardOutcome Outcome,
    [property: Id(1)] int SamplesGenerated,
    [property: Id(2)] string? Error = null);
