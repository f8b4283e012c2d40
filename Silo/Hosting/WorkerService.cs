using System.Diagnostics;
using OrleansFlow.Cluster;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Runs this silo's worker loops once the schema is current. On shutdown (SIGTERM) the loops stop
/// claiming at once and hand back the shards in flight without waiting for their leases to expire.
/// That happens in <see cref="StoppingAsync"/>, which the host runs before it stops any service (the
/// HTTP server included, which keeps answering <c>/readyz</c> 503 meanwhile); this service is
/// registered after <see cref="MembershipService"/>, so the host drains it first.
/// </summary>
public sealed partial class WorkerService(WorkerLoop loop, WorkerOptions options, SiloReadiness readiness, ILogger<WorkerService> logger) : BackgroundService, IHostedLifecycleService
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

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var draining = Stopwatch.StartNew();
        LogDraining();
        await base.StopAsync(cancellationToken);
        LogDrained(loop.Released, draining.Elapsed.TotalMilliseconds);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: stopped claiming shards")]
    private partial void LogDraining();

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: workers stopped, {Released} unfinished shards released in {Milliseconds:F0} ms")]
    private partial void LogDrained(int released, double milliseconds);
}
