using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansFlow.Actors;
using OrleansFlow.Jobs;
using OrleansFlow.Storage;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Cluster;

/// <summary>
/// Runs one leased shard on the sampler actor of its model. It renews the lease while it works and
/// stops the moment the lease is lost (self-fencing: a silo that cannot prove its lease stops
/// working), then records the outcome under the lease's token.
/// </summary>
public sealed partial class ShardExecutor(
    IClusterStore store, IBlobStore blobs, SamplerDirectory samplers, WorkerOptions options, ILogger<ShardExecutor> logger, TimeProvider? clock = null,
    Models.Registry.RegistryResolver? registry = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public async Task<ShardOutcome> RunAsync(ShardLease lease, JobLayout layout, Action<int> samplesDone, CancellationToken stopping)
    {
        using var activity = OrleansFlowMetrics.Tracing.StartActivity("shard.run");
        activity?.SetTag("orleansflow.job", lease.Shard.Job.Value);
        activity?.SetTag("orleansflow.shard", lease.Shard.Index);
        activity?.SetTag("orleansflow.attempt", lease.Attempt);
        var started = _clock.GetTimestamp();
        var outcome = await RunLeasedAsync(lease, layout, samplesDone, stopping);
        activity?.SetTag("orleansflow.outcome", outcome.ToString());
        if (outcome == ShardOutcome.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
        }

        OrleansFlowMetrics.ShardDuration.Record(
            _clock.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("model", lease.Spec.Model),
            new KeyValuePair<string, object?>("outcome", OutcomeTag(outcome)));
        return outcome;
    }

    private static string OutcomeTag(ShardOutcome outcome) => outcome switch
    {
        ShardOutcome.Completed => "completed",
        ShardOutcome.AlreadyWritten => "already_written",
        ShardOutcome.Released => "released",
        ShardOutcome.Failed => "failed",
        ShardOutcome.LeaseLost => "lease_lost",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    private async Task<ShardOutcome> RunLeasedAsync(ShardLease lease, JobLayout layout, Action<int> samplesDone, CancellationToken stopping)
    {
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var stopRenewing = new CancellationTokenSource();
        var lost = false;
        var renewal = RenewAsync(lease, () =>
        {
            lost = true;
            work.Cancel();
        }, stopRenewing.Token);

        var finished = false;
        var existed = false;
        Exception? failure = null;
        try
        {
            var actor = samplers.Get(lease.Spec.Model);
            using var busy = actor.Use();
            actor.WarmFor(lease.Spec);
            var output = JobOutput.For(ResolvedJob.ForShards(registry?.Localize(lease.Spec) ?? lease.Spec, actor.Model), blobs, layout);
            existed = await blobs.ExistsAsync(output.ShardResult(lease.Range), work.Token);
            if (options.InjectedFault?.Invoke(lease) is { } fault)
            {
                throw fault;
            }

            if (!existed)
            {
                await output.RunShardAsync(lease.Range, samplesDone, work.Token);
            }

            finished = true;
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            // Lease lost or node stopping: decided below.
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewal;
        }

        if (lost)
        {
            LogLeaseLost(lease.Shard.ToString(), lease.Token);
            return ShardOutcome.LeaseLost;
        }

        if (failure is not null)
        {
            LogShardFailed(failure, lease.Shard.ToString(), lease.Attempt);
            await store.FailShardAsync(lease, $"{failure.GetType().Name}: {failure.Message}", CancellationToken.None);
            return ShardOutcome.Failed;
        }

        if (!finished)
        {
            var released = await store.ReleaseShardAsync(lease, CancellationToken.None);
            LogReleased(lease.Shard.ToString(), lease.Token, released);
            return ShardOutcome.Released;
        }

        if (!await store.CompleteShardAsync(lease, CancellationToken.None))
        {
            LogLeaseLost(lease.Shard.ToString(), lease.Token);
            return ShardOutcome.LeaseLost;
        }

        return existed ? ShardOutcome.AlreadyWritten : ShardOutcome.Completed;
    }

    /// <summary>
    /// Renews every third of the TTL. A renewal the store refuses means another node may own the
    /// shard now; a store unreachable for a whole TTL means this node cannot prove its lease. Either
    /// way <paramref name="onLost"/> cancels the work.
    /// </summary>
    private async Task RenewAsync(ShardLease lease, Action onLost, CancellationToken stop)
    {
        var lastConfirmed = _clock.GetTimestamp();
        while (true)
        {
            try
            {
                await Task.Delay(options.RenewInterval, _clock, stop);
                if (!await store.RenewShardAsync(lease, options.LeaseTtl, stop))
                {
                    onLost();
                    return;
                }

                lastConfirmed = _clock.GetTimestamp();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogRenewFailed(e, lease.Shard.ToString());
                if (_clock.GetElapsedTime(lastConfirmed) >= options.LeaseTtl)
                {
                    onLost();
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease of shard {Shard} (token {Token}) lost; its work is dropped")]
    private partial void LogLeaseLost(string shard, long token);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: released shard {Shard} (token {Token}) unfinished, attempt not counted: {Released}")]
    private partial void LogReleased(string shard, long token, bool released);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {Shard} failed on attempt {Attempt}")]
    private partial void LogShardFailed(Exception error, string shard, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the lease of shard {Shard}; retrying")]
    private partial void LogRenewFailed(Exception error, string shard);
}
