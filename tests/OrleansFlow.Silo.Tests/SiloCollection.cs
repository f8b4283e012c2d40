using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>One real PostgreSQL for all silo tests; each test cluster gets its own schema.</summary>
[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "Silos on PostgreSQL";
}
