using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// A job as its scheduler knows it, with its progress; <see cref="Scheduler"/> is the silo hosting the
/// scheduler, <see cref="InFlight"/> the shards dispatched per silo and <see cref="Attempts"/> the dispatches
/// that counted against the shards' attempt bound (diagnostics and fault tests).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.JobRecord")]
public sealed record JobRecord(
    [property: Id(0)] string Job,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] JobState State,
    [property: Id(3)] int ShardCount,
    [property: Id(4)] int ShardsDone,
    [property: Id(5)] long SamplesDone,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset? FinishedAt,
    [property: Id(8)] string? Error,
    [property: Id(9)] JobSummary? Summary,
    [property: Id(10)] string? Scheduler = null,
    [property: Id(11)] IReadOnlyDictionary<string, int>? InFlight = null,
    [property: Id(12)] int Attempts = 0)
{
    public JobId Id => JobId.Parse(Job);

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
