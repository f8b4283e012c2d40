using Npgsql;
using NpgsqlTypes;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// The job catalog in the cluster's PostgreSQL schema (migration <c>002_job_catalog.sql</c>), next to
/// Orleans' own tables; the connection string's search path picks the schema as for Orleans.
/// </summary>
/// <remarks>Connections come from the pool Orleans' providers share (<see cref="PostgresStatements"/>).</remarks>
public sealed class PostgresJobCatalog(PostgresStatements statements) : IJobCatalog, IAsyncDisposable
{
    /// <summary>
    /// A catalog on <paramref name="connectionString"/>, in the schema its search path names (default
    /// <c>orleansflow</c>), sharing the pool of Orleans' providers on the same string.
    /// </summary>
    public static PostgresJobCatalog Create(string connectionString) => new(PostgresStatements.For(connectionString));

    public async Task<CatalogAdd> AddAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        // One connection at a time: the insert's goes back to the pool before the select takes one.
        await using (var insert = await CommandAsync("AddJob", cancellationToken))
        {
            insert.Parameters.AddWithValue("id", submission.Id.Value);
            insert.Parameters.Add(new NpgsqlParameter("spec", NpgsqlDbType.Jsonb) { Value = JobJson.Serialize(submission.Spec) });
            insert.Parameters.Add(new NpgsqlParameter("idempotency_key", NpgsqlDbType.Text) { Value = (object?)submission.IdempotencyKey ?? DBNull.Value });
            insert.Parameters.AddWithValue("max_attempts", submission.MaxAttempts);
            insert.Parameters.AddWithValue("outstanding_shards", submission.Spec.ShardCount);
            if (await ReadEntryAsync(insert, cancellationToken) is { } created)
            {
                return new CatalogAdd(created, Created: true);
            }
        }

        // The key was taken (its inserter committed while this insert waited): return that job.
        await using var select = await CommandAsync("GetJobByIdempotencyKey", cancellationToken);
        select.Parameters.AddWithValue("idempotency_key", submission.IdempotencyKey!);
        return new CatalogAdd(await ReadEntryAsync(select, cancellationToken) ?? throw new InvalidOperationException("idempotency key conflict without a job"), Created: false);
    }

    public async Task<CatalogEntry?> GetAsync(JobId id, CancellationToken cancellationToken)
    {
        await using var command = await CommandAsync("GetJob", cancellationToken);
        command.Parameters.AddWithValue("id", id.Value);
        return await ReadEntryAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<JobId>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = await CommandAsync("ListJobs", cancellationToken);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadIdsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<JobId>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var command = await CommandAsync("ListUnfinishedJobs", cancellationToken);
        return await ReadIdsAsync(command, cancellationToken);
    }

    public async Task ReportAsync(JobId id, int outstandingShards, bool finished, CancellationToken cancellationToken)
    {
        await using var command = await CommandAsync("ReportJob", cancellationToken);
        command.Parameters.AddWithValue("id", id.Value);
        command.Parameters.AddWithValue("outstanding_shards", outstandingShards);
        command.Parameters.AddWithValue("finished", finished);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Nothing to release: the pool is Npgsql's, shared with Orleans' providers, and outlives the catalog.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<PooledCommand> CommandAsync(string name, CancellationToken cancellationToken) => statements.CommandAsync(name, cancellationToken);

    private static async Task<CatalogEntry?> ReadEntryAsync(PooledCommand command, CancellationToken cancellationToken)
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

    private static async Task<IReadOnlyList<JobId>> ReadIdsAsync(PooledCommand command, CancellationToken cancellationToken)
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
