using Npgsql;
using NpgsqlTypes;
using OrleansFlow.Ids;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>The shard ledger in the cluster's PostgreSQL schema (migration <c>003_job_shards.sql</c>).</summary>
/// <remarks>Connections come from the pool Orleans' providers share (<see cref="PostgresStatements"/>).</remarks>
public sealed class PostgresShardLedger(PostgresStatements statements) : IShardLedger
{
    public async Task<long> ClaimAsync(JobId job, CancellationToken cancellationToken)
    {
        await using var command = await statements.CommandAsync("ClaimShardLedger", cancellationToken);
        command.Parameters.AddWithValue("job", job.Value);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<ShardRow>> ReadAsync(JobId job, CancellationToken cancellationToken)
    {
        await using var command = await statements.CommandAsync("ReadShards", cancellationToken);
        command.Parameters.AddWithValue("job", job.Value);
        var rows = new List<ShardRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ShardRow(
                reader.GetInt32(0),
                (ShardStatus)reader.GetInt16(1),
                reader.GetInt32(2),
                reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetInt64(6),
                reader.GetBoolean(7)));
        }

        return rows;
    }

    public async Task WriteAsync(JobId job, long epoch, IReadOnlyCollection<ShardRow> rows, CancellationToken cancellationToken)
    {
        await using var command = await statements.CommandAsync("WriteShards", cancellationToken);
        command.Parameters.AddWithValue("job", job.Value);
        command.Parameters.AddWithValue("epoch", epoch);
        command.Parameters.AddWithValue("shards", rows.Select(r => r.Index).ToArray());
        command.Parameters.AddWithValue("statuses", rows.Select(r => (short)r.Status).ToArray());
        command.Parameters.AddWithValue("attempts", rows.Select(r => r.Attempts).ToArray());
        command.Parameters.AddWithValue("tokens", rows.Select(r => r.Token).ToArray());
        command.Parameters.Add(new NpgsqlParameter("silos", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rows.Select(r => r.Silo).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("errors", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rows.Select(r => ShardRow.Clip(r.Error)).ToArray() });
        command.Parameters.AddWithValue("samples_generated", rows.Select(r => r.SamplesGenerated).ToArray());
        command.Parameters.AddWithValue("resumed", rows.Select(r => r.Resumed).ToArray());
        if ((int)(await command.ExecuteScalarAsync(cancellationToken))! == 0)
        {
            throw new ShardLedgerFencedException(job, epoch);
        }
    }
}
