using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// Submission and listing, on whichever silo the caller reaches (a stateless worker: no state of its
/// own, the catalog and the schedulers hold it). Every submission — HTTP API and Orleans clients — is
/// checked here against its ranges and the silo's <see cref="JobLimits"/> before anything is loaded,
/// written or activated; then by this silo's sampler for the model, which thereby loads and warms it.
/// </summary>
[StatelessWorker]
public sealed class JobsGrain(IJobCatalog catalog, ILocalSiloDetails localSilo, OrleansFlowOptions options) : Grain, IJobsGrain
{
    /// <summary>The field a reused idempotency key's error names: the HTTP header that carries it.</summary>
    public const string IdempotencyKeyField = "Idempotency-Key";

    public async Task<SubmitResult> SubmitAsync(JobSpec spec, string? idempotencyKey, CancellationToken cancellationToken)
    {
        try
        {
            options.Limits.Require(spec.Validate());
        }
        catch (SpecException e)
        {
            return new SubmitResult(null, false, SpecError.Of(e));
        }

        var sampler = GrainFactory.GetGrain<ISamplerGrain>(new SamplerGrainKey(localSilo.SiloAddress.ToParsableString(), spec.Model).ToGrainKey());
        if (await sampler.PrepareAsync(spec, cancellationToken) is { } error)
        {
            return new SubmitResult(null, false, error);
        }

        var added = await catalog.AddAsync(new JobSubmission(JobId.New(), spec, idempotencyKey, options.MaxAttempts), cancellationToken);
        if (!added.Created && added.Entry.Spec != spec)
        {
            // The key names another request: answering with that job would pass it off as this one's.
            return new SubmitResult(null, false, new SpecError(IdempotencyKeyField, $"'{idempotencyKey}' was used before with a different job spec: use a new key for a new job"), KeyConflict: true);
        }

        var job = await GrainFactory.GetGrain<IJobSchedulerGrain>(added.Entry.Id.Value).StartAsync(cancellationToken);
        return new SubmitResult(job, added.Created);
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var ids = await catalog.ListAsync(limit, cancellationToken);
        var jobs = await Task.WhenAll(ids.Select(id => GrainFactory.GetGrain<IJobSchedulerGrain>(id.Value).GetAsync(cancellationToken)));
        return [.. jobs.OfType<JobRecord>()];
    }
}
