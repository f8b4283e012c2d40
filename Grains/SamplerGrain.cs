using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Concurrency;
using OrleansFlow.Actors;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Storage;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Cluster;

/// <summary>
/// The warm sampler of one model on one silo. It loads the model on first use (concurrent first
/// users share the load), runs every shard and finalisation of that model on its silo, and is
/// deactivated by Orleans when idle (<see cref="OrleansFlowOptions.SamplerIdle"/>) or asked to go when
/// the silo's memory budget is exceeded. Reentrant: shards of one model run side by side, each on the
/// thread pool, bounded by the silo's <see cref="ShardSlots"/>; the grain's own fields change only
/// between awaits on its scheduler.
/// </summary>
[SiloPinnedPlacement]
[Reentrant]
public sealed partial class SamplerGrain(
    IModelLoader loader,
    IJobStorage storage,
    ShardSlots slots,
    WarmSamplers warm,
    IShardProgress progress,
    IHostApplicationLifetime lifetime,
    OrleansFlowOptions options,
    ILogger<SamplerGrain> logger) : Grain, ISamplerGrain
{
    private Task<SamplerActor>? _loading;
    private int _running;

    private string Model => SamplerGrainKey.Parse(this.GetPrimaryKeyString()).Model;

    public async Task<ShardReport> RunShardAsync(ShardWork work, CancellationToken cancellationToken)
    {
        // SIGTERM (the host stopping) hands the shard back at once, without counting the attempt.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var job = JobId.Parse(work.Job);
        var started = Stopwatch.GetTimestamp();
        var generated = 0;
        var report = await RunAsync();
        OrleansFlowMetrics.ShardDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("model", work.Spec.Model),
            new KeyValuePair<string, object?>("outcome", report.Outcome.ToString().ToLowerInvariant()));
        return report;

        async Task<ShardReport> RunAsync()
        {
            try
            {
                using var slot = await slots.EnterAsync(stop.Token);
                var actor = await ActorAsync();
                _running++;
                try
                {
                    using var busy = actor.Use();
                    warm.Touch(this.GetPrimaryKeyString());
                    var outcome = await Task.Run(() => RunOnThreadPoolAsync(actor, work, job, n => Interlocked.Add(ref generated, n), stop.Token), stop.Token);
                    return new ShardReport(outcome, generated);
                }
                finally
                {
                    _running--;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                LogReleased(work.Job, work.Range.Index, work.Token);
                return new ShardReport(ShardOutcome.Released, generated);
            }
            catch (Exception e)
            {
                LogShardFailed(e, work.Job, work.Range.Index, work.Attempt);
                // Clients read this as the job's error: the registry's names, not this silo's cache paths.
                return new ShardReport(ShardOutcome.Failed, generated, loader.InNames($"{e.GetType().Name}: {e.Message}"));
            }
        }
    }

    public async Task<SpecError?> PrepareAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            var actor = await ActorAsync();
            await Task.Run(
                () =>
                {
                    ResolvedJob.Create(loader.Localize(spec), actor.Model);
                    actor.WarmFor(spec);
                },
                cancellationToken);
            return null;
        }
        catch (SpecException e)
        {
            // Refusals name the spec's entries, never the cache files they were localized to.
            return new SpecError(e.Field, loader.InNames(e.Message));
        }
    }

    public async Task<JobSummary> FinalizeAsync(FinalizeWork work, CancellationToken cancellationToken)
    {
        var actor = await ActorAsync();
        using var busy = actor.Use();
        var place = storage.For(JobId.Parse(work.Job));
        var manifold = ServiceProvider.GetRequiredService<ManifoldBlockRunners>().For(JobId.Parse(work.Job), work.Spec);
        return await Task.Run(
            async () =>
            {
                var job = ResolvedJob.Create(loader.Localize(work.Spec), actor.Model);
                var run = new RunRecord(work.Seconds, work.SamplesGenerated, work.ResumedShards, actor.Model.Backend.Name);
                var summary = loader.InNames(await JobOutput.For(job, place.Blobs, place.Layout, manifold).FinalizeAsync(run, cancellationToken), work.Spec);
                summary = summary with { Outputs = [place.Layout.Relative(place.Layout.Summary), .. summary.Outputs] };
                await place.Blobs.TryCreateAsync(place.Layout.Summary, JobJson.Serialize(summary), cancellationToken);
                return summary;
            },
            cancellationToken);
    }

    public Task<bool> IsWarmAsync(CancellationToken cancellationToken) => Task.FromResult(_loading is { IsCompletedSuccessfully: true });

    public Task EvictAsync(CancellationToken cancellationToken)
    {
        if (_running == 0)
        {
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_loading is { IsCompletedSuccessfully: true })
        {
            warm.Unloaded(this.GetPrimaryKeyString());
            OrleansFlowMetrics.WarmSamplers.Add(-1);
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs on the thread pool: touches only the injected services, never the grain's fields.</summary>
    private async Task<ShardOutcome> RunOnThreadPoolAsync(SamplerActor actor, ShardWork work, JobId job, Action<int> generated, CancellationToken cancellationToken)
    {
        if (options.ShardDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.ShardDelay, cancellationToken);
        }

        actor.WarmFor(work.Spec);
        var place = storage.For(job);
        var output = JobOutput.For(ResolvedJob.ForShards(loader.Localize(work.Spec), actor.Model), place.Blobs, place.Layout);
        if (await place.Blobs.ExistsAsync(output.ShardResult(work.Range), cancellationToken))
        {
            return ShardOutcome.AlreadyWritten;
        }

        if (options.InjectedFault?.Invoke(work) is { } fault)
        {
            throw fault;
        }

        await output.RunShardAsync(
            work.Range,
            samples =>
            {
                generated(samples);
                progress.SamplesGenerated(job, samples);
            },
            cancellationToken);
        return ShardOutcome.Completed;
    }

    /// <summary>The loaded model; a failed load is not kept, so the next use tries again (the file may be fixed).</summary>
    private async Task<SamplerActor> ActorAsync()
    {
        _loading ??= LoadAsync();
        try
        {
            return await _loading;
        }
        catch
        {
            _loading = null;
            throw;
        }
    }

    private async Task<SamplerActor> LoadAsync()
    {
        var model = Model;
        var clock = Stopwatch.StartNew();
        var loaded = await Task.Run(() => loader.Load(model));
        OrleansFlowMetrics.ModelLoadDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("model", model));
        OrleansFlowMetrics.WarmSamplers.Add(1);
        var actor = new SamplerActor(loaded, clock.Elapsed, TimeProvider.System);
        foreach (var other in warm.Loaded(this.GetPrimaryKeyString(), actor))
        {
            // Fire and forget: a busy sampler declines and is asked again after the next load.
            _ = GrainFactory.GetGrain<ISamplerGrain>(other).EvictAsync(CancellationToken.None);
        }

        LogLoaded(model, clock.Elapsed.TotalMilliseconds);
        return actor;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} in {Milliseconds:F0} ms")]
    private partial void LogLoaded(string model, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: shard {Job}/{Index} (token {Token}) handed back unfinished")]
    private partial void LogReleased(string job, int index, long token);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {Job}/{Index} failed on attempt {Attempt}")]
    private partial void LogShardFailed(Exception error, string job, int index, int attempt);
}
