using Npgsql;
using NpgsqlTypes;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// The job catalog in the cluster's PostgreSQL schema (migration <c>004_job_catalog.sql</c>), next to
/// Orleans' own tables; the connection string's search path picks the schema as for Orleans.
/// </summary>
public sealed class PostgresJobCatalog(NpgsqlDataSource dataSource) : IJobCatalog, IAsyncDisposable
{
    /// <summary>A catalog on <paramref name="connectionString"/>, in the schema its search path names (default <c>orleansflow</c>).</summary>
    public static PostgresJobCatalog Create(string connectionString) => new(DataSource(connectionString));

    /// <summary>Connections to the schema <paramref name="connectionString"/>'s search path names, for the project's own tables.</summary>
    public static NpgsqlDataSource DataSource(string connectionString) =>
        NpgsqlDataSource.Create(OrleansPostgres.ConnectionString(connectionString, OrleansPostgres.SchemaOf(connectionString)));

    public async Task<CatalogAdd> AddAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        await using var insert = Command("AddJob");
        insert.Parameters.AddWithValue("id", submission.Id.Value);
        insert.Parameters.Add(new NpgsqlParameter("spec", NpgsqlDbType.Jsonb) { Value = JobJson.Serialize(submission.Spec) });
        insert.Parameters.Add(new NpgsqlParameter("idempotency_key", NpgsqlDbType.Text) { Value = (object?)submission.IdempotencyKey ?? DBNull.Value });
        insert.Parameters.AddWithValue("max_attempts", submission.MaxAttempts);
        insert.Parameters.AddWithValue("outstanding_shards", submission.Spec.ShardCount);
        if (await ReadEntryAsync(insert, cancellationToken) is { } created)
        {
            return new CatalogAdd(created, Created: true);
        }

        // The key was taken (its inserter committed while this insert waited): return that job.
        await using var select = Command("GetJobByIdempotencyKey");
        select.Parameters.AddWithValue("idempotency_key", submission.IdempotencyKey!);
        return new CatalogAdd(await ReadEntryAsync(select, cancellationToken) ?? throw new InvalidOperationException("idempotency key conflict without a job"), Created: false);
    }

    public async Task<CatalogEntry?> GetAsync(JobId id, CancellationToken cancellationToken)
    {
        await using var command = Command("GetJob");
        command.Parameters.AddWithValue("id", id.Value);
        return await ReadEntryAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<JobId>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = Command("ListJobs");
        command.Parameters.AddWithValue("limit", limit);
        return await ReadIdsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<JobId>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var command = Command("ListUnfinishedJobs");
        return await ReadIdsAsync(command, cancellationToken);
    }

    public async Task ReportAsync(JobId id, int outstandingShards, bool finished, CancellationToken cancellationToken)
    {
        await using var command = Command("ReportJob");
        command.Parameters.AddWithValue("id", id.Value);
        command.Parameters.AddWithValue("outstanding_shards", outstandingShards);
        command.Parameters.AddWithValue("finished", finished);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private NpgsqlCommand Command(string name) => dataSource.CreateCommand(PostgresSql.Get(name));

    private static async Task<CatalogEntry?> ReadEntryAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new CatalogEntry(
            JobId.Parse(reader.GetString(0)),
            JobJson.Deserialize<JobSpec>(System.Text.Encoding.UTF8.GetBytes(reader.GetString(1))),
            reader.GetInt32(2),
            reader.GetFieldValue<DateTimeOffset>(3));
    }

    private static async Task<IReadOnlyList<JobId>> ReadIdsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<JobId>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(JobId.Parse(reader.GetString(0)));
        }

        return ids;
    }
}
