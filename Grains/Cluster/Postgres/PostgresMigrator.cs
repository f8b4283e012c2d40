using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// Brings one schema of a PostgreSQL database to the latest of the embedded migrations
/// (<c>Sql/Migrations/NNN_name.sql</c>: the job tables, and Orleans' clustering, reminder and grain
/// storage tables with their <c>OrleansQuery</c> rows). Each applied version is recorded in the schema's
/// <c>schema_migrations</c> table, so running it again, or from every silo at once, applies nothing twice.
/// </summary>
public sealed partial class PostgresMigrator
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly ILogger _logger;

    /// <param name="dataSource">Connections to the database; their search path must be <paramref name="schema"/>, since the migrations use unqualified names.</param>
    /// <param name="schema">The schema to create and migrate (see <see cref="IsSchemaName"/>).</param>
    /// <param name="logger">Where applied migrations are logged.</param>
    public PostgresMigrator(NpgsqlDataSource dataSource, string schema, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        if (!IsSchemaName(schema))
        {
            throw new ArgumentException(SchemaNameError(schema), nameof(schema));
        }

        _dataSource = dataSource;
        _schema = schema;
        _logger = logger ?? NullLogger.Instance;
    }

    public static int LatestVersion => PostgresSql.LatestVersion;

    /// <summary>1-63 of a-z, 0-9, '_', not starting with a digit or 'pg_': safe unquoted, in a search path and in DDL.</summary>
    public static bool IsSchemaName(string? schema) =>
        schema is not null && SchemaName().IsMatch(schema) && !schema.StartsWith("pg_", StringComparison.Ordinal);

    public static string SchemaNameError(string? schema) =>
        $"'{schema}' is not a schema name: use 1-63 characters of a-z, 0-9 and '_', starting with a letter or '_' but not 'pg_'";

    /// <summary>Creates the schema if needed and applies every migration it lacks, each in its own transaction.</summary>
    /// <remarks>
    /// Each step takes a transaction-level advisory lock (<c>pg_advisory_xact_lock</c>), not a session
    /// lock: behind PgBouncer in transaction pooling a session's statements may run on different server
    /// connections, so a session lock could be taken on one and "released" on another (k8s/components/pgbouncer).
    /// Every silo waits on the lock while one migrates a version, then finds it applied.
    /// </remarks>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await LockAsync(connection, cancellationToken);
            await ExecuteAsync(connection, $"CREATE SCHEMA IF NOT EXISTS \"{_schema}\"", cancellationToken);
            await ExecuteAsync(connection, PostgresSql.Get("CreateMigrationsTable"), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        foreach (var migration in PostgresSql.Migrations)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await LockAsync(connection, cancellationToken);
            if ((await AppliedVersionsAsync(connection, cancellationToken)).Contains(migration.Version))
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }

            await ExecuteAsync(connection, migration.Sql, cancellationToken);
            await ExecuteAsync(connection, "INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", cancellationToken,
                ("version", migration.Version), ("name", migration.Name));
            await transaction.CommitAsync(cancellationToken);
            LogMigrationApplied(_logger, migration.Version, migration.Name, _schema);
        }
    }

    private Task LockAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", LockKey(_schema)));

    /// <summary>The highest applied version, 0 when the schema has none (or does not exist).</summary>
    public async Task<int> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
        {
            return 0;
        }

        await using var command = new NpgsqlCommand(PostgresSql.Get("SchemaVersion"), connection);
        return await command.ExecuteScalarAsync(cancellationToken) is int version ? version : 0;
    }

    private static async Task<HashSet<int>> AppliedVersionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new HashSet<int>();
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetInt32(0));
        }

        return applied;
    }

    /// <summary>A stable 64-bit key (FNV-1a) for the migration advisory lock of one schema.</summary>
    private static long LockKey(string schema)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in "orleansflow.migrate:" + schema)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version:D3}_{Name} to schema {Schema}")]
    private static partial void LogMigrationApplied(ILogger logger, int version, string name, string schema);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
