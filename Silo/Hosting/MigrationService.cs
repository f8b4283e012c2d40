using OrleansFlow.Cluster;

namespace OrleansFlow.Silo.Hosting;

/// <summary>Applies the store's migrations at start, retrying until the database answers.</summary>
public sealed partial class MigrationService(IClusterStore store, SiloReadiness readiness, ILogger<MigrationService> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.MigrateAsync(stoppingToken);
                readiness.MarkMigrated();
                LogMigrated();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogMigrationFailed(e);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster store schema is current")]
    private partial void LogMigrated();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster store migration failed; retrying")]
    private partial void LogMigrationFailed(Exception error);
}
