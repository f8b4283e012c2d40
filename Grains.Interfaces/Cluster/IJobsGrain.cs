using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// The cluster's front door for jobs (a stateless worker on every silo, key 0): submits with
/// idempotency, lists. Each job is then its own <see cref="IJobSchedulerGrain"/>.
/// </summary>
[Alias("OrleansFlow.IJobsGrain")]
public interface IJobsGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Validates the spec against its model, records the job (or, for an idempotency key used before,
    /// finds that job) and starts its scheduler. A bad spec comes back as <see cref="SubmitResult.Error"/>.
    /// </summary>
    [Alias("Submit")]
    [ResponseTimeout(LongCall.Timeout)]
    Task<SubmitResult> SubmitAsync(JobSpec spec, string? idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>The most recent jobs first.</summary>
    [Alias("List")]
    Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken cancellationToken = default);
}
