using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// The cluster store shared by the silos of a cluster, on PostgreSQL (the semantics of
/// <see cref="InMemoryClusterStore"/>, the reference). Leases are judged by the database clock; every
/// write to a lease presents its fencing token. SQL lives in <c>Sql/*.sql</c>, the schema in
/// <c>Sql/Migrations</c>.
/// </summary>
/// <remarks>
/// Transient failures (connection lost, <c>pg_ctl restart</c>, recovery, deadlock victim) surface as
/// <see cref="ClusterStoreUnavailableException"/> after the connection pool is cleared, so the next
/// call opens fresh connections; the caller's loop retries. Nothing is retried here, because a retried
/// claim whose first reply was lost would hold two leases.
/// </remarks>
public sealed partial class PostgresClusterStore : IClusterStore, IAsyncDisposable
{
    private const string UniqueViolation = "23505";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly TimeProvider? _clock;
    private readonly ILogger _logger;

    public PostgresClusterStore(PostgresClusterStoreOptions options, ILogger<PostgresClusterStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!SchemaName().IsMatch(options.Schema) || options.Schema.StartsWith("pg_", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{options.Schema}' is not a schema name: use 1-63 characters of a-z, 0-9 and '_', starting with a letter or '_' but not 'pg_'", nameof(options));
        }

        _schema = options.Schema;
        _clock = options.Clock;
        _logger = logger ?? NullLogger<PostgresClusterStore>.Instance;
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString) { SearchPath = options.Schema };
        if (builder.MaxAutoPrepare == 0)
        {
            // The same dozen statements run all day: prepare them once per connection.
            builder.MaxAutoPrepare = 32;
        }

        // The store keeps no session state (the migration lock is released explicitly), so a pooled
        // connection needs no DISCARD/RESET round on its next use.
        builder.NoResetOnClose = true;

        _dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).UseLoggerFactory(NullLoggerFactory.Instance).Build();
    }

    public string Schema => _schema;

    public Task MigrateAsync(CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await new PostgresMigrator(_dataSource, _schema, _logger).MigrateAsync(ct);
            return true;
        }, cancellationToken);

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand(PostgresSql.Get("SchemaVersion"));
            return await command.ExecuteScalarAsync(cancellationToken) is int version && version >= PostgresSql.LatestVersion;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    public Task HeartbeatAsync(NodeInfo node, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            ArgumentNullException.ThrowIfNull(node);
            await using var command = Command("Heartbeat");
            command.Parameters.AddWithValue("node", node.NodeId);
            command.Parameters.AddWithValue("address", node.Address);
            command.Parameters.AddWithValue("capacity", node.Capacity);
            command.Parameters.AddWithValue("warm", node.Warm.Select(k => k.ToString()).ToArray());
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    public Task<IReadOnlyList<NodeRecord>> ListNodesAsync(TimeSpan maxAge, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<NodeRecord>>(async ct =>
        {
            await using var command = Command("ListNodes");
            command.Parameters.AddWithValue("max_age", maxAge);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var nodes = new List<NodeRecord>();
            while (await reader.ReadAsync(ct))
            {
                var warm = reader.GetFieldValue<string[]>(3).Select(ParseSamplerKey).ToList();
                nodes.Add(new NodeRecord(
                    new NodeInfo(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), warm),
                    reader.GetFieldValue<DateTimeOffset>(4),
                    reader.GetFieldValue<DateTimeOffset>(5)));
            }

            return nodes;
        }, cancellationToken);

    public Task<SubmitResult> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            ArgumentNullException.ThrowIfNull(submission);
            var (id, spec, key, idempotencyKey, maxAttempts) = submission;
            ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
            var plan = ShardRange.Plan(spec);
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            long? sequence;
            await using (var insert = Command("InsertJob", connection))
            {
                insert.Parameters.AddWithValue("id", id.Value);
                insert.Parameters.AddWithValue("spec", NpgsqlDbType.Jsonb, JobJson.Serialize(spec));
                insert.Parameters.AddWithValue("sampler_key", key.ToString());
                insert.Parameters.AddWithValue("samples", (long)spec.Samples);
                insert.Parameters.AddWithValue("idempotency_key", NpgsqlDbType.Text, (object?)idempotencyKey ?? DBNull.Value);
                insert.Parameters.AddWithValue("max_attempts", maxAttempts);
                insert.Parameters.AddWithValue("shard_count", plan.Count);
                try
                {
                    sequence = (long?)await insert.ExecuteScalarAsync(ct);
                }
                catch (PostgresException e) when (e.SqlState == UniqueViolation && e.ConstraintName == "jobs_pkey")
                {
                    throw new InvalidOperationException($"job {id} already exists", e);
                }
            }

            if (sequence is null)
            {
                // The key's first submission committed (ON CONFLICT waited for it): this is that job.
                await using var get = Command("GetJobByIdempotencyKey", connection);
                get.Parameters.AddWithValue("idempotency_key", idempotencyKey!);
                var existing = await ReadJobsAsync(get, ct);
                await transaction.CommitAsync(ct);
                return new SubmitResult(existing.Single(), Created: false);
            }

            await using (var shards = Command("InsertShards", connection))
            {
                shards.Parameters.AddWithValue("job", id.Value);
                shards.Parameters.AddWithValue("job_seq", sequence.Value);
                shards.Parameters.AddWithValue("sampler_key", key.ToString());
                shards.Parameters.AddWithValue("max_attempts", maxAttempts);
                shards.Parameters.AddWithValue("indices", plan.Select(r => r.Index).ToArray());
                shards.Parameters.AddWithValue("starts", plan.Select(r => r.Start).ToArray());
                shards.Parameters.AddWithValue("counts", plan.Select(r => r.Count).ToArray());
                await shards.ExecuteNonQueryAsync(ct);
            }

            await using var created = Command("GetJob", connection);
            created.Parameters.AddWithValue("id", id.Value);
            var job = (await ReadJobsAsync(created, ct)).Single();
            await transaction.CommitAsync(ct);
            return new SubmitResult(job, Created: true);
        }, cancellationToken);

    public Task<JobRecord?> GetJobAsync(JobId id, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = Command("GetJob");
            command.Parameters.AddWithValue("id", id.Value);
            return (await ReadJobsAsync(command, ct)).SingleOrDefault();
        }, cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(int limit, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<JobRecord>>(async ct =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(limit);
            await using var command = Command("ListJobs");
            command.Parameters.AddWithValue("limit", limit);
            return await ReadJobsAsync(command, ct);
        }, cancellationToken);

    public Task<bool> CancelJobAsync(JobId id, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var cancel = Command("CancelJob", connection);
            cancel.Parameters.AddWithValue("job", id.Value);
            if (await cancel.ExecuteScalarAsync(ct) is null)
            {
                return false;
            }

            await EndOpenShardsAsync(connection, id.Value, ct);
            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);

    public Task<ShardLease?> ClaimShardAsync(string nodeId, IReadOnlyCollection<SamplerKey> warm, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            ArgumentNullException.ThrowIfNull(warm);
            var keys = warm.Select(k => k.ToString()).Distinct(StringComparer.Ordinal).ToArray();
            while (true)
            {
                string job;
                int index, attempts;
                long token;
                await using (var command = Command("ClaimShard"))
                {
                    command.Parameters.AddWithValue("warm", keys);
                    command.Parameters.AddWithValue("node", nodeId);
                    command.Parameters.AddWithValue("ttl", ttl);
                    await using var reader = await command.ExecuteReaderAsync(ct);
                    if (!await reader.ReadAsync(ct))
                    {
                        return null;
                    }

                    job = reader.GetString(0);
                    index = reader.GetInt32(1);
                    if (!reader.GetBoolean(2))
                    {
                        var range = new ShardRange(index, reader.GetInt64(5), reader.GetInt32(6));
                        return new ShardLease(new ShardId(JobId.Parse(job), index), range, ReadSpec(reader, 10), nodeId,
                            reader.GetInt64(7), reader.GetInt32(8), reader.GetFieldValue<DateTimeOffset>(9), Reclaimed: reader.GetBoolean(11));
                    }

                    token = reader.GetInt64(3);
                    attempts = reader.GetInt32(4);
                }

                // Its holder died on every attempt (e.g. a shard that crashes its silo): stop retrying.
                await FailExhaustedShardAsync(job, index, token, attempts, ct);
            }
        }, cancellationToken);

    public Task<ShardCounts> CountShardsAsync(CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = Command("CountShards");
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return new ShardCounts(reader.GetInt64(0), reader.GetInt64(1));
        }, cancellationToken);

    public Task<bool> RenewShardAsync(ShardLease lease, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = LeaseCommand("RenewShard", lease);
            command.Parameters.AddWithValue("ttl", ttl);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public Task<bool> CompleteShardAsync(ShardLease lease, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = LeaseCommand("CompleteShard", lease);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public Task<bool> ReleaseShardAsync(ShardLease lease, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = LeaseCommand("ReleaseShard", lease);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public Task<bool> FailShardAsync(ShardLease lease, string error, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            ArgumentNullException.ThrowIfNull(lease);
            var job = lease.Shard.Job.Value;
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            if (!await LockRunningJobAsync(connection, job, ct))
            {
                return false;
            }

            bool exhausted;
            int attempts;
            await using (var fail = LeaseCommand("FailShard", lease, connection))
            {
                fail.Parameters.AddWithValue("error", error);
                await using var reader = await fail.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct))
                {
                    return false;
                }

                exhausted = reader.GetBoolean(0);
                attempts = reader.GetInt32(1);
            }

            if (exhausted)
            {
                await FailRunningJobAsync(connection, job, $"shard {lease.Shard.Index} failed {attempts} times: {error}", ct);
            }

            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);

    public Task<int> LeaveAsync(string nodeId, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            // Three statements, not one transaction: LeaveShards locks shard rows of many jobs and
            // must not then wait for a job row (see LockRunningJob.sql).
            int released;
            await using (var shards = Command("LeaveShards"))
            {
                shards.Parameters.AddWithValue("node", nodeId);
                released = await shards.ExecuteNonQueryAsync(ct);
            }

            await using (var finalizations = Command("LeaveFinalizations"))
            {
                finalizations.Parameters.AddWithValue("node", nodeId);
                await finalizations.ExecuteNonQueryAsync(ct);
            }

            await using (var node = Command("DeleteNode"))
            {
                node.Parameters.AddWithValue("node", nodeId);
                await node.ExecuteNonQueryAsync(ct);
            }

            return released;
        }, cancellationToken);

    public Task<FinalizeLease?> ClaimFinalizationAsync(string nodeId, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = Command("ClaimFinalization");
            command.Parameters.AddWithValue("node", nodeId);
            command.Parameters.AddWithValue("ttl", ttl);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            return new FinalizeLease(JobId.Parse(reader.GetString(0)), ReadSpec(reader, 1), nodeId, reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3));
        }, cancellationToken);

    public Task<bool> CompleteJobAsync(FinalizeLease lease, JobSummary summary, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = FinalizeCommand("CompleteJob", lease);
            command.Parameters.AddWithValue("summary", NpgsqlDbType.Jsonb, JobJson.Serialize(summary));
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public Task<bool> FailJobAsync(FinalizeLease lease, string error, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var command = FinalizeCommand("FailJob", lease);
            command.Parameters.AddWithValue("error", error);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task FailExhaustedShardAsync(string job, int index, long token, int attempts, CancellationToken ct)
    {
        var error = $"shard {index}: lease expired on each of {attempts} attempts";
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await LockRunningJobAsync(connection, job, ct))
        {
            return;
        }

        await using (var fail = Command("FailExhaustedShard", connection))
        {
            fail.Parameters.AddWithValue("job", job);
            fail.Parameters.AddWithValue("shard_index", index);
            fail.Parameters.AddWithValue("token", token);
            fail.Parameters.AddWithValue("error", error);
            if (await fail.ExecuteNonQueryAsync(ct) == 0)
            {
                // Someone else failed it (or its lease changed) since the claim looked.
                return;
            }
        }

        await FailRunningJobAsync(connection, job, error, ct);
        await transaction.CommitAsync(ct);
    }

    private async Task<bool> LockRunningJobAsync(NpgsqlConnection connection, string job, CancellationToken ct)
    {
        await using var command = Command("LockRunningJob", connection);
        command.Parameters.AddWithValue("job", job);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private async Task FailRunningJobAsync(NpgsqlConnection connection, string job, string error, CancellationToken ct)
    {
        await using (var command = Command("FailRunningJob", connection))
        {
            command.Parameters.AddWithValue("job", job);
            command.Parameters.AddWithValue("error", error);
            await command.ExecuteNonQueryAsync(ct);
        }

        await EndOpenShardsAsync(connection, job, ct);
        LogJobFailed(job, error);
    }

    private async Task EndOpenShardsAsync(NpgsqlConnection connection, string job, CancellationToken ct)
    {
        await using var command = Command("EndOpenShards", connection);
        command.Parameters.AddWithValue("job", job);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken);
        }
        catch (NpgsqlException e) when (IsTransient(e))
        {
            // Pooled connections to a restarted server are dead; drop the idle ones so the next call
            // connects afresh instead of failing once per pooled connection.
            _dataSource.Clear();
            LogUnavailable(e.Message);
            throw new ClusterStoreUnavailableException($"the cluster store is unavailable: {e.Message}", e);
        }
    }

    private static bool IsTransient(NpgsqlException e) => e switch
    {
        PostgresException pg => pg.IsTransient
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) // admin/crash shutdown, cannot connect now
            || pg.SqlState is "40001" or "40P01", // serialization failure, deadlock victim
        _ => true, // I/O, timeouts, refused connections: no answer from the server at all
    };

    private NpgsqlCommand Command(string name, NpgsqlConnection? connection = null)
    {
        var sql = PostgresSql.Get(name);
        var command = connection is null ? _dataSource.CreateCommand(sql) : new NpgsqlCommand(sql, connection);
        if (sql.Contains("@now", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = _clock is null ? DBNull.Value : _clock.GetUtcNow() });
        }

        return command;
    }

    private NpgsqlCommand LeaseCommand(string name, ShardLease lease, NpgsqlConnection? connection = null)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var command = Command(name, connection);
        command.Parameters.AddWithValue("job", lease.Shard.Job.Value);
        command.Parameters.AddWithValue("shard_index", lease.Shard.Index);
        command.Parameters.AddWithValue("token", lease.Token);
        return command;
    }

    private NpgsqlCommand FinalizeCommand(string name, FinalizeLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var command = Command(name);
        command.Parameters.AddWithValue("job", lease.Job.Value);
        command.Parameters.AddWithValue("token", lease.Token);
        return command;
    }

    private static async Task<IReadOnlyList<JobRecord>> ReadJobsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var jobs = new List<JobRecord>();
        while (await reader.ReadAsync(ct))
        {
            jobs.Add(new JobRecord(
                JobId.Parse(reader.GetString(0)),
                ReadSpec(reader, 1),
                ParseState(reader.GetString(2)),
                reader.GetInt32(3),
                reader.GetInt32(4),
                reader.GetInt64(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : JobJson.Deserialize<JobSummary>(System.Text.Encoding.UTF8.GetBytes(reader.GetString(9)))));
        }

        return jobs;
    }

    private static JobSpec ReadSpec(NpgsqlDataReader reader, int ordinal) =>
        JobJson.Deserialize<JobSpec>(System.Text.Encoding.UTF8.GetBytes(reader.GetString(ordinal)));

    private static JobState ParseState(string state) => state switch
    {
        "running" => JobState.Running,
        "finalizing" => JobState.Finalizing,
        "succeeded" => JobState.Succeeded,
        "failed" => JobState.Failed,
        "cancelled" => JobState.Cancelled,
        _ => throw new InvalidOperationException($"unknown job state '{state}' in the cluster store"),
    };

    /// <summary>The inverse of <see cref="SamplerKey.ToString"/>: <c>model@CxHxW</c> (a model name may contain '@').</summary>
    private static SamplerKey ParseSamplerKey(string text)
    {
        var at = text.LastIndexOf('@');
        var dims = at < 0 ? [] : text[(at + 1)..].Split('x');
        if (dims.Length != 3)
        {
            throw new InvalidOperationException($"'{text}' is not a sampler key (model@CxHxW)");
        }

        int Dim(int i) => int.Parse(dims[i], NumberStyles.None, CultureInfo.InvariantCulture);
        return new SamplerKey(text[..at], new Resolution(Dim(0), Dim(1), Dim(2)));
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
