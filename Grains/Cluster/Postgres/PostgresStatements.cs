using Npgsql;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// The project's own statements (job catalog, shard ledger) on connections from Npgsql's pool for one
/// connection string: the very pool Orleans' ADO.NET providers draw from when given the same string
/// (<see cref="OrleansPostgres.ProvidersConnectionString"/>), so a silo holds one bounded pool, not one
/// for Orleans and one per table (docs/cluster.md).
/// </summary>
public sealed class PostgresStatements
{
    private readonly string _connectionString;

    private PostgresStatements(string connectionString) => _connectionString = connectionString;

    /// <summary>Statements in the schema <paramref name="connectionString"/>'s search path names (default <c>orleansflow</c>).</summary>
    public static PostgresStatements For(string connectionString) => new(OrleansPostgres.ProvidersConnectionString(connectionString));

    /// <summary>The embedded statement <paramref name="name"/> on a pooled connection, which goes back to the pool when the command is disposed.</summary>
    public async Task<PooledCommand> CommandAsync(string name, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return new PooledCommand(new NpgsqlCommand(PostgresSql.Get(name), connection));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

/// <summary>An <see cref="NpgsqlCommand"/> that owns its connection.</summary>
public sealed class PooledCommand(NpgsqlCommand command) : IAsyncDisposable
{
    public NpgsqlParameterCollection Parameters => command.Parameters;

    public Task<NpgsqlDataReader> ExecuteReaderAsync(CancellationToken cancellationToken) => command.ExecuteReaderAsync(cancellationToken);

    public Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => command.ExecuteNonQueryAsync(cancellationToken);

    public Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => command.ExecuteScalarAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        var connection = command.Connection;
        await command.DisposeAsync();
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }
}
