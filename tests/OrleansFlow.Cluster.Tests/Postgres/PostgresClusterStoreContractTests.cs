using OrleansFlow.Testing;
using OrleansFlow.Cluster.Postgres;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>The contract on PostgreSQL: one schema per test, the manual clock passed as <c>@now</c>.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterStoreContractTests(PostgresFixture postgres) : ClusterStoreContractTests
{
    protected override Task<IClusterStore> CreateStoreAsync(TimeProvider clock) =>
        Task.FromResult<IClusterStore>(new PostgresClusterStore(new PostgresClusterStoreOptions
        {
            ConnectionString = postgres.Server.ConnectionString,
            Schema = postgres.Server.NewSchemaName("contract"),
            Clock = clock,
        }));
}
