using Npgsql;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Testing;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>The migration runner and the Orleans contract that migration 001 writes (tables and OrleansQuery rows).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMigratorTests(PostgresFixture postgres)
{
    // The keys each provider demands at start-up (Orleans' DbStoredQueries.cs, AdoNetGrainStorage.cs):
    // a missing one fails the silo with "Not all required queries found".
    private static readonly string[] ClusteringKeys =
    [
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey", "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",
    ];

    private static readonly string[] ReminderKeys =
    [
        "ReadReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey", "UpsertReminderRowKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    private static readonly string[] StorageKeys = ["WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey"];

    [Fact]
    public async Task Migrate_TwiceAndEightAtOnce_AppliesEachVersionOnce()
    {
        var schema = OrleansSchema.Create(postgres.Server, "mig");
        await using var dataSource = NpgsqlDataSource.Create(schema.ConnectionString);
        var migrators = Enumerable.Range(0, 8).Select(_ => new PostgresMigrator(dataSource, schema.Name)).ToList();
        Assert.Equal(0, await migrators[0].CurrentVersionAsync(default));

        await Task.WhenAll(migrators.Select(m => Task.Run(() => m.MigrateAsync(default))));
        await migrators[5].MigrateAsync(default);

        Assert.Equal(PostgresMigrator.LatestVersion, await migrators[1].CurrentVersionAsync(default));
        Assert.True(PostgresMigrator.LatestVersion >= 2);
        Assert.Equal(PostgresMigrator.LatestVersion, await schema.ScalarAsync("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(ClusteringKeys.Length + ReminderKeys.Length + StorageKeys.Length, await schema.ScalarAsync("SELECT count(*) FROM OrleansQuery"));
        // The lease-era tables were squashed away, not created and dropped.
        Assert.Equal(0, await schema.ScalarAsync(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ('nodes', 'shards')"));
    }

    [Fact]
    public async Task Migrate_Schema_HoldsEveryQueryKeyTheProvidersDemand()
    {
        var schema = OrleansSchema.Create(postgres.Server, "keys");
        await schema.MigrateAsync();

        await using var connection = await schema.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey COLLATE \"C\"", connection);
        var keys = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.Equal(ClusteringKeys.Concat(ReminderKeys).Concat(StorageKeys).Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public async Task Migrate_TwoSchemas_KeepSeparateOrleansTables()
    {
        var first = OrleansSchema.Create(postgres.Server, "iso");
        var second = OrleansSchema.Create(postgres.Server, "iso");
        await first.MigrateAsync();
        await second.MigrateAsync();

        await using (var connection = await first.OpenAsync())
        await using (var insert = new NpgsqlCommand("INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES ('only-in-first')", connection))
        {
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await first.ScalarAsync("SELECT count(*) FROM OrleansMembershipVersionTable"));
        Assert.Equal(0, await second.ScalarAsync("SELECT count(*) FROM OrleansMembershipVersionTable"));
    }

    [Theory]
    [InlineData("Public")]
    [InlineData("pg_catalog")]
    [InlineData("a;drop")]
    [InlineData("")]
    public void ConnectionString_InvalidSchema_NamesTheRule(string schema)
    {
        var error = Assert.Throws<ArgumentException>(() => OrleansPostgres.ConnectionString(postgres.Server.ConnectionString, schema));
        Assert.Contains("not a schema name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SchemaOf_NoSearchPath_UsesTheDefaultSchema()
    {
        Assert.Equal(OrleansPostgres.DefaultSchema, OrleansPostgres.SchemaOf(postgres.Server.ConnectionString));
        Assert.Equal("abc", OrleansPostgres.SchemaOf(postgres.Server.ConnectionString + ";Search Path=abc"));
        var error = Assert.Throws<ArgumentException>(() => OrleansPostgres.SchemaOf(postgres.Server.ConnectionString + ";Search Path=a,b"));
        Assert.Contains("Search Path", error.Message, StringComparison.Ordinal);
    }
}
