using Microsoft.Extensions.Logging;
using OrleansFlow.Actors;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Cluster;

/// <summary>
/// One worker of a node: claim a shard (preferring models this node holds warm), run it, repeat;
/// finalise ready jobs in between. Store errors (a restarting database) are retried after a backoff.
/// </summary>
public sealed partial class WorkerLoop(
    IClusterStore store, ShardExecutor executor, JobFinalizer finalizer, SamplerDirectory samplers, WorkerOptions options, ILogger<WorkerLoop> logger, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private int _released;

    /// <summary>Where a job's blobs go (cluster: <c>jobs/&lt;id&gt;/</c>; embedded: the output directory itself).</summary>
    public Func<JobId, JobLayout> LayoutOf { get; init; } = DefaultLayout;

    /// <summary>Called with the outcome of every shard this loop ran.</summary>
    public Action<ShardLease, ShardOutcome>? ShardFinished { get; init; }

    /// <summary>Called after each batch with the samples it generated.</summary>
    public Action<int> SamplesGenerated { get; init; } = _ => { };

    /// <summary>Overrides how a finalised job's run is described (the embedded runner knows its own clock).</summary>
    public Func<JobRecord, RunRecord>? RunOf { get; init; }

    /// <summary>Shards handed back unfinished because the loop was stopping (a graceful drain).</summary>
    public int Released => Volatile.Read(ref _released);

    public static JobLayout DefaultLayout(JobId job) => new($"jobs/{job}/");

    /// <summary>
    /// Runs until <paramref name="stopping"/> fires, or, when nothing is claimable, until
    /// <paramref name="done"/> says there is nothing left to wait for.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task<bool>>? done, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (await finalizer.TryFinalizeOneAsync(LayoutOf, RunOf, stopping))
                {
                    continue;
                }

                var lease = await store.ClaimShardAsync(options.NodeId, samplers.WarmKeys, options.LeaseTtl, stopping);
                if (lease is not null)
                {
                    if (lease.Reclaimed)
                    {
                        OrleansFlowMetrics.LeaseReclaims.Add(1, new KeyValuePair<string, object?>("model", lease.Spec.Model));
                    }

                    var outcome = await executor.RunAsync(lease, LayoutOf(lease.Shard.Job), SamplesGenerated, stopping);
                    if (outcome == ShardOutcome.Released)
                    {
                        Interlocked.Increment(ref _released);
                    }

                    ShardFinished?.Invoke(lease, outcome);
                    continue;
                }

                if (done is not null && await done(stopping))
                {
                    return;
                }

                await Task.Delay(options.IdlePoll, _clock, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogStoreError(e);
                await Task.Delay(options.ErrorBackoff, _clock, CancellationToken.None);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster store call failed; retrying")]
    private partial void LogStoreError(Exception error);
}
