using OrleansFlow.Cluster;
using OrleansFlow.Jobs;

namespace OrleansFlow.Silo.Api;

/// <summary>A job as the API shows it: its spec, state and progress.</summary>
public sealed record JobView(
    string Id, JobState State, JobSpec Spec, int ShardCount, int ShardsDone, long SamplesDone, long Samples,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error, JobSummary? Summary,
    string? Scheduler, IReadOnlyDictionary<string, int>? InFlight, int Attempts)
{
    public static JobView Of(JobRecord job) => new(
        job.Job, job.State, job.Spec, job.ShardCount, job.ShardsDone, job.SamplesDone, job.Spec.Samples,
        job.CreatedAt, job.FinishedAt, job.Error, job.Summary, job.Scheduler, job.InFlight, job.Attempts);
}
