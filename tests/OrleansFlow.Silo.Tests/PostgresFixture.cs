using OrleansFlow.Cluster.Tests.Postgres;

namespace OrleansFlow.Silo.Tests;

/// <summary>One real PostgreSQL for all silo tests; each test cluster gets its own schema.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "Silos on PostgreSQL";
}
