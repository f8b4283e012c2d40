using Npgsql;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Testing;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>One test's schema on the shared server: the connection string Orleans gets, and direct reads of its tables.</summary>
internal sealed class OrleansSchema(PostgresServer server, string schema)
{
    public string Name => schema;

    public string ConnectionString { get; } = OrleansPostgres.ConnectionString(server.ConnectionString, schema);

    public static OrleansSchema Create(PostgresServer server, string prefix) => new(server, server.NewSchemaName(prefix));

    public async Task MigrateAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await new PostgresMigrator(dataSource, schema).MigrateAsync(default);
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>(address:port, status, suspect times) of every silo row of the cluster.</summary>
    public async Task<IReadOnlyList<SiloRow>> SilosAsync(string clusterId)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT Address, Port, Generation, Status, coalesce(SuspectTimes, ''), ProxyPort FROM OrleansMembershipTable WHERE DeploymentId = @id ORDER BY Port, Generation",
            connection);
        command.Parameters.AddWithValue("id", clusterId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<SiloRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new SiloRow(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4), reader.IsDBNull(5) ? 0 : reader.GetInt32(5)));
        }

        return rows;
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A row of OrleansMembershipTable. Status 3 is Active, 6 Dead (Orleans.Runtime.SiloStatus).</summary>
internal sealed record SiloRow(string Address, int Port, int Generation, int Status, string SuspectTimes, int ProxyPort)
{
    public const int Active = 3;
    public const int Dead = 6;
}
