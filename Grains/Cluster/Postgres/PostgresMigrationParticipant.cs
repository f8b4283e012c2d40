using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Runtime;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// Migrates the cluster's schema at the very first stage of silo start-up: the ADO.NET providers
/// read their queries from <c>OrleansQuery</c> when they initialize (clustering at RuntimeInitialize,
/// storage and reminders later), so the table must exist before them.
/// </summary>
internal sealed class PostgresMigrationParticipant(string connectionString, string schema, ILoggerFactory loggerFactory)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgresMigrationParticipant), ServiceLifecycleStage.First, MigrateAsync);

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            await new PostgresMigrator(dataSource, schema, loggerFactory.CreateLogger<PostgresMigrator>()).MigrateAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            var target = new NpgsqlConnectionStringBuilder(connectionString);
            throw new InvalidOperationException(
                $"PostgreSQL at {target.Host}:{target.Port} (database {target.Database}, schema {schema}) could not be migrated: {e.Message}", e);
        }
    }
}
