using OrleansFlow.Cluster;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Runs this silo's worker loops once the schema is current. On shutdown (SIGTERM) the loops stop
/// claiming at once and hand back the shards in flight without waiting for their leases to expire.
/// </summary>
public sealed class WorkerService(WorkerLoop loop, WorkerOptions options, SiloReadiness readiness) : BackgroundService
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
}
