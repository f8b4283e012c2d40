using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using OrleansFlow.Cluster.Postgres;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>TestCluster silos on PostgreSQL through <see cref="OrleansPostgres.UseOrleansFlowPostgres(ISiloBuilder, string)"/>.</summary>
public sealed class PostgresSiloConfigurator : ISiloConfigurator
{
    /// <summary>The TestClusterBuilder property that carries the connection string (with the test's schema).</summary>
    public const string ConnectionStringKey = "OrleansFlowTest:Postgres";

    /// <summary>A second grain storage on the same tables that deletes the row on ClearStateAsync (DeleteStorageKey).</summary>
    public const string DeleteOnClearStorage = "postgres-delete-on-clear";

    public void Configure(ISiloBuilder siloBuilder)
    {
        var connectionString = siloBuilder.Configuration[ConnectionStringKey]!;
        siloBuilder.UseOrleansFlowPostgres(connectionString);
        siloBuilder.AddAdoNetGrainStorage(DeleteOnClearStorage, options =>
        {
            options.Invariant = OrleansPostgres.Invariant;
            options.ConnectionString = connectionString;
            options.DeleteStateOnClear = true;
        });
    }
}

/// <summary>The TestCluster's client, which finds gateways only through the membership table.</summary>
public sealed class PostgresClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
        clientBuilder.UseOrleansFlowPostgres(configuration[PostgresSiloConfigurator.ConnectionStringKey]!);
}
