using Microsoft.Extensions.Logging;
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
/// The other silos that will take shards load and warm it at the same time (<see cref="PreparePeersAsync"/>).
/// </summary>
[StatelessWorker]
public sealed partial class JobsGrain(
    IJobCatalog catalog,
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    OrleansFlowOptions options,
    ILogger<JobsGrain> logger) : Grain, IJobsGrain
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

        var local = localSilo.SiloAddress.ToParsableString();
        // Not awaited: the job starts once this silo is ready, and a peer still loading takes shards when it is
        // (a cold peer downloading a large model must not hold back silos that can start). Nor cancelled with the
        // submission: a warm model serves the next job as well.
        _ = PreparePeersAsync(local, spec);
        if (await Sampler(local, spec).PrepareAsync(spec, cancellationToken) is { } error)
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

    /// <summary>
    /// Has the other active silos that will take shards (at most one per shard beyond this silo's first) load the
    /// model and warm the job's batch shapes now, beside this silo's prepare, instead of when their first shard
    /// arrives: on a fresh cluster their loads overlap this silo's load and timing instead of following them
    /// (bench/scale-out.sh). Best effort: this silo's prepare decides whether the spec is valid; a peer that
    /// fails is logged, and its shards load the model again or go elsewhere.
    /// </summary>
    private Task PreparePeersAsync(string local, JobSpec spec) =>
        Task.WhenAll(ActiveSilos.Of(membership)
            .Where(silo => silo != local)
            .Take(spec.ShardCount - 1)
            .Select(async silo =>
            {
                try
                {
                    if (await Sampler(silo, spec).PrepareAsync(spec, CancellationToken.None) is { } error)
                    {
                        LogPeerRefused(silo, spec.Model, error.Message);
                    }
                }
                catch (Exception e)
                {
                    LogPeerFailed(e, silo, spec.Model);
                }
            }));

    private ISamplerGrain Sampler(string silo, JobSpec spec) =>
        GrainFactory.GetGrain<ISamplerGrain>(new SamplerGrainKey(silo, spec.Model).ToGrainKey());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} could not prepare model {Model} ahead of a job's shards (they load it when they arrive)")]
    private partial void LogPeerFailed(Exception exception, string silo, string model);

    // Not a warning: a spec this silo refuses (the caller's error) is refused by its peers too.
    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} refused a job's spec for model {Model}: {Error}")]
    private partial void LogPeerRefused(string silo, string model, string error);
}
