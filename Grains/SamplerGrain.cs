using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Concurrency;
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
/// thread pool, admitted by the silo's <see cref="ShardSlots"/> (shared fairly by every job); the grain's
/// own fields change only between awaits on its scheduler.
/// <para>
/// A shard's run belongs to the silo (<see cref="RunningShards"/>), not to the call that started it: it keeps
/// running when its scheduler dies, a new scheduler activation adopts it by (job, shard, token) instead of running it again
/// (through an <see cref="IShardFollowerGrain"/>, not this grain),
/// and it stops within one model call when a caller cancels (the job ended, or the call timed out: Orleans
/// sends the cancellation, <c>CancelRequestOnTimeout</c>) or its job is cancelled here (<see cref="CancelJobAsync"/>).
/// </para>
/// </summary>
[SiloPinnedPlacement]
[Reentrant]
public sealed partial class SamplerGrain(
    IModelLoader loader,
    IJobStorage storage,
    ShardSlots slots,
    RunningShards running,
    WarmSamplers warm,
    SharedCompilation compilation,
    IShardProgress progress,
    IHostApplicationLifetime lifetime,
    OrleansFlowOptions options,
    ILogger<SamplerGrain> logger) : Grain, ISamplerGrain
{
    private Task<WarmModel>? _loading;
    private int _busy;

    private string Model => SamplerGrainKey.Parse(this.GetPrimaryKeyString()).Model;

    public Task<ShardReport> RunShardAsync(ShardWork work, CancellationToken cancellationToken) =>
        running.GetOrStart(work.Job, work.Range.Index, work.Token, lifetime.ApplicationStopping, stop => RunTimedAsync(work, stop))
            .FollowAsync(cancellationToken);

    public Task<int> CancelJobAsync(string job, CancellationToken cancellationToken) => Task.FromResult(running.CancelJob(job));

    private async Task<ShardReport> RunTimedAsync(ShardWork work, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var report = await RunAsync(work, stop);
        OrleansFlowMetrics.ShardDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("model", work.Spec.Model),
            new KeyValuePair<string, object?>("outcome", report.Outcome.ToString().ToLowerInvariant()));
        return report;
    }

    private async Task<ShardReport> RunAsync(ShardWork work, CancellationToken stop)
    {
        var job = JobId.Parse(work.Job);
        var generated = 0;
        try
        {
            using var slot = await slots.EnterAsync(work.Job, options.MaxQueueWait, stop);
            if (slot is null)
            {
                return new ShardReport(ShardOutcome.Busy, 0);
            }

            var warmModel = await WarmModelAsync();
            _busy++;
            try
            {
                using var busy = warmModel.Use();
                warm.Touch(this.GetPrimaryKeyString());
                await compilation.WarmAsync(warmModel, work.Spec, stop);
                var outcome = await Task.Run(() => RunOnThreadPoolAsync(warmModel, work, job, n => Interlocked.Add(ref generated, n), stop), stop);
                return new ShardReport(outcome, generated);
            }
            finally
            {
                _busy--;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // SIGTERM (the host stopping) hands the shard back at once; so does its scheduler's cancellation.
            var outcome = lifetime.ApplicationStopping.IsCancellationRequested ? ShardOutcome.Released : ShardOutcome.Cancelled;
            LogStopped(work.Job, work.Range.Index, work.Token, outcome);
            return new ShardReport(outcome, generated);
        }
        catch (Exception e)
        {
            LogShardFailed(e, work.Job, work.Range.Index, work.Attempt);
            // Clients read this as the job's error: the registry's names, not this silo's cache paths.
            return new ShardReport(ShardOutcome.Failed, generated, loader.InNames($"{e.GetType().Name}: {e.Message}"));
        }
    }

    public async Task<SpecError?> PrepareAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            var warmModel = await WarmModelAsync();
            await Task.Run(() => ResolvedJob.Create(loader.Localize(spec), warmModel.Model), cancellationToken);
            await compilation.WarmAsync(warmModel, spec, cancellationToken);
            return null;
        }
        catch (SpecException e)
        {
            // Refusals name the spec's entries, never the cache files they were localized to.
            return new SpecError(e.Field, loader.InNames(e.Detail));
        }
    }

    public async Task<JobSummary> FinalizeAsync(FinalizeWork work, CancellationToken cancellationToken)
    {
        var warmModel = await WarmModelAsync();
        using var busy = warmModel.Use();
        var place = storage.For(JobId.Parse(work.Job));
        var manifold = ServiceProvider.GetRequiredService<ManifoldBlockRunners>().For(JobId.Parse(work.Job), work.Spec);
        return await Task.Run(
            async () =>
            {
                var job = ResolvedJob.Create(loader.Localize(work.Spec), warmModel.Model);
                var run = new RunRecord(work.Seconds, work.SamplesGenerated, work.ResumedShards, warmModel.Model.Backend.Name);
                var summary = loader.InNames(await JobOutput.For(job, place.Blobs, place.Layout, manifold).FinalizeAsync(run, cancellationToken), work.Spec);
                summary = summary with
                {
                    Outputs = [place.Layout.Relative(place.Layout.Summary), .. summary.Outputs],
                    Compilation = CompilationOf(warmModel, work.Spec),
                };
                await place.Blobs.TryCreateAsync(place.Layout.Summary, JobJson.Serialize(summary), cancellationToken);
                return summary;
            },
            cancellationToken);
    }

    /// <summary>
    /// The compiled forms this silo chose for the job's batch shapes. Only what its shards' warm-ups already
    /// chose: timing the forms here, on a silo that may have run none of the job's shards, would spend the
    /// finaliser's time on model calls no shard makes (null when none ran here).
    /// </summary>
    private static IReadOnlyList<CompilationChoice>? CompilationOf(WarmModel warmModel, JobSpec spec)
    {
        if (warmModel.Model is not Models.IWarmable warmable)
        {
            return null;
        }

        var batches = warmModel.BatchShapes(spec);
        var chosen = warmable.Compilation.Where(c => batches.Contains(c.Batch)).ToList();
        return chosen.Count > 0 ? chosen : null;
    }

    public Task<bool> IsWarmAsync(CancellationToken cancellationToken) => Task.FromResult(_loading is { IsCompletedSuccessfully: true });

    public Task EvictAsync(CancellationToken cancellationToken)
    {
        if (_busy == 0)
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
    private async Task<ShardOutcome> RunOnThreadPoolAsync(WarmModel warmModel, ShardWork work, JobId job, Action<int> generated, CancellationToken cancellationToken)
    {
        if (options.ShardDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.ShardDelay, cancellationToken);
        }

        var place = storage.For(job);
        var output = JobOutput.For(ResolvedJob.ForShards(loader.Localize(work.Spec), warmModel.Model), place.Blobs, place.Layout);
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
    private async Task<WarmModel> WarmModelAsync()
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

    private async Task<WarmModel> LoadAsync()
    {
        var model = Model;
        var clock = Stopwatch.StartNew();
        var loaded = await Task.Run(() => loader.Load(model));
        OrleansFlowMetrics.ModelLoadDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("model", model));
        OrleansFlowMetrics.WarmSamplers.Add(1);
        var warmModel = new WarmModel(loaded, clock.Elapsed, TimeProvider.System);
        foreach (var other in warm.Loaded(this.GetPrimaryKeyString(), warmModel))
        {
            // Fire and forget: a busy sampler declines and is asked again after the next load.
            _ = GrainFactory.GetGrain<ISamplerGrain>(other).EvictAsync(CancellationToken.None);
        }

        LogLoaded(model, clock.Elapsed.TotalMilliseconds);
        return warmModel;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} in {Milliseconds:F0} ms")]
    private partial void LogLoaded(string model, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Job}/{Index} (token {Token}) stopped unfinished: {Outcome}")]
    private partial void LogStopped(string job, int index, long token, ShardOutcome outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {Job}/{Index} failed on attempt {Attempt}")]
    private partial void LogShardFailed(Exception error, string job, int index, int attempt);
}
