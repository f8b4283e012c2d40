using OrleansFlow.Actors;
using OrleansFlow.Cluster;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Announces this silo (address, capacity, warm samplers) with a heartbeat, deactivates idle sampler
/// actors, refreshes the cached shard counts of the telemetry, and on shutdown (after the workers
/// drained, before the HTTP server stops) leaves the cluster, handing back any lease still held, then
/// waits out the drain delay with <c>/readyz</c> answering 503.
/// </summary>
public sealed partial class MembershipService(
    IClusterStore store, SamplerDirectory samplers, WorkerOptions worker, SiloReadiness readiness, SiloIdentity identity,
    Microsoft.Extensions.Options.IOptions<SiloOptions> options, ILogger<MembershipService> logger) : BackgroundService, IHostedLifecycleService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WhenMigrated.WaitAsync(stoppingToken);
        var interval = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                samplers.DeactivateIdle();
                await store.HeartbeatAsync(new NodeInfo(worker.NodeId, identity.Address, worker.Workers, samplers.WarmKeys), stoppingToken);
                OrleansFlowMetrics.ReportShardCounts(await store.CountShardsAsync(stoppingToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogHeartbeatFailed(e);
            }

            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs before the host stops any service: the server still answers while this silo leaves and drains.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            var released = await store.LeaveAsync(worker.NodeId, cancellationToken);
            LogLeft(released);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The leases expire on their own; leaving is only faster.
            LogLeaveFailed(e);
        }

        if (options.Value.DrainDelaySeconds > 0)
        {
            // /readyz answers 503 meanwhile: endpoints and load balancers stop sending requests here
            // before the server stops accepting them.
            LogDrainDelay(options.Value.DrainDelaySeconds);
            await Task.Delay(TimeSpan.FromSeconds(options.Value.DrainDelaySeconds), cancellationToken);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: serving {Seconds} s more with /readyz 503 before the server stops")]
    private partial void LogDrainDelay(double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed; retrying")]
    private partial void LogHeartbeatFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Left the cluster, releasing {Released} leases")]
    private partial void LogLeft(int released);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not leave the cluster; leases will expire instead")]
    private partial void LogLeaveFailed(Exception error);
}
