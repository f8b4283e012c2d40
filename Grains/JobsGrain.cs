using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// Submission and listing, on whichever silo the caller reaches (a stateless worker: no state of its
/// own, the catalog and the schedulers hold it). The spec is checked by this silo's sampler for the
/// model, which thereby loads and warms it.
/// </summary>
[StatelessWorker]
public sealed class JobsGrain(IJobCatalog catalog, ILocalSiloDetails localSilo, OrleansFlowOptions options) : Grain, IJobsGrain
{
    public async Task<SubmitResult> SubmitAsync(JobSpec spec, string? idempotencyKey, CancellationToken cancellationToken)
    {
        try
        {
            spec.Validate();
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
