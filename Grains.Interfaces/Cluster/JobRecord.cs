using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>A job as the cluster store knows it, with its progress.</summary>
public sealed record JobRecord(
    JobId Id,
    JobSpec Spec,
    JobState State,
    int ShardCount,
    int ShardsDone,
    long SamplesDone,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    JobSummary? Summary)
{
    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
