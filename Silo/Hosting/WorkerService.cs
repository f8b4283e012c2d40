using System.Diagnostics;
using OrleansFlow.Cluster;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Runs this silo's worker loops once the schema is current. On shutdown (SIGTERM) the loops stop
/// claiming at once and hand back the shards in flight without waiting for their leases to expire;
/// this service is registered last, so the host stops it first.
/// </summary>
public sealed partial class WorkerService(WorkerLoop loop, WorkerOptions options, SiloReadiness readiness, ILogger<WorkerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await readiness.WhenMigrated.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(_ => Task.Run(() => loop.RunAsync(done: null, stoppingToken), CancellationToken.None)));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        var draining = Stopwatch.StartNew();
        LogDraining();
        await base.StopAsync(cancellationToken);
        LogDrained(loop.Released, draining.Elapsed.TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: stopped claiming shards")]
    private partial void LogDraining();

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: workers stopped, {Released} unfinished shards released in {Milliseconds:F0} ms")]
    private partial void LogDrained(int released, double milliseconds);
}
