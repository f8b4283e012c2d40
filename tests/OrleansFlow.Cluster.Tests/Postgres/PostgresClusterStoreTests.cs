using OrleansFlow.Testing;
using System.Diagnostics;
using Npgsql;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using Xunit.Abstractions;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>What only the PostgreSQL store has: migrations, concurrent inserters, the database clock, restarts, query plans.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterStoreTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly SamplerKey Key = new("gmm-demo", new Resolution(3, 8, 8));
    private static readonly SamplerKey[] NoWarm = [];
    private readonly List<PostgresClusterStore> _stores = [];

    private PostgresServer Server => postgres.Server;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Migrate_EightSilosAtOnce_AppliesEachMigrationOnce()
    {
        var schema = Server.NewSchemaName("migrate");
        var stores = Enumerable.Range(0, 8).Select(_ => NewStore(schema)).ToList();
        Assert.False(await stores[0].IsReadyAsync(default));

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(default))));
        await stores[3].MigrateAsync(default);

        Assert.All(await Task.WhenAll(stores.Select(s => s.IsReadyAsync(default))), Assert.True);
        await using var connection = await OpenAsync(schema);
        await using var count = new NpgsqlCommand("SELECT count(*), max(version) FROM schema_migrations", connection);
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(PostgresSql.Migrations.Count, reader.GetInt64(0));
        Assert.Equal(PostgresSql.LatestVersion, reader.GetInt32(1));
    }

    [Fact]
    public async Task Submit_ConflictingInserterRollsBack_WaitingSubmissionCreatesTheJob()
    {
        // Oban #1087: an insert reported a conflict with a transaction that then rolled back, so no job existed.
        var (store, schema) = await MigratedStoreAsync();
        await using var other = await OpenAsync(schema);
        await using var transaction = await other.BeginTransactionAsync();
        await InsertJobRowAsync(other, "ghost", "key-1");

        var waiting = store.SubmitAsync(new JobSubmission(JobId.Parse("real"), Spec(30), Key, "key-1"), default);
        await WaitUntilBlockedOnLockAsync(waiting);
        await transaction.RollbackAsync();
        var result = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Created);
        Assert.Equal("real", result.Job.Id.Value);
        Assert.Equal(3, result.Job.ShardCount);
        Assert.Equal(["real"], (await store.ListJobsAsync(10, default)).Select(j => j.Id.Value));
    }

    [Fact]
    public async Task Submit_ConflictingInserterCommits_WaitingSubmissionReturnsThatJob()
    {
        var (store, schema) = await MigratedStoreAsync();
        await using var other = await OpenAsync(schema);
        await using var transaction = await other.BeginTransactionAsync();
        await InsertJobRowAsync(other, "first", "key-1");

        var waiting = store.SubmitAsync(new JobSubmission(JobId.Parse("second"), Spec(30), Key, "key-1"), default);
        await WaitUntilBlockedOnLockAsync(waiting);
        await transaction.CommitAsync();
        var result = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(result.Created);
        Assert.Equal("first", result.Job.Id.Value);
        Assert.Single(await store.ListJobsAsync(10, default));
    }

    [Fact]
    public async Task Lease_DatabaseClockShortTtl_ExpiresAndIsReclaimedWithHigherToken()
    {
        var (store, _) = await MigratedStoreAsync(clock: null);
        var ttl = TimeSpan.FromSeconds(1);
        await store.SubmitAsync(new JobSubmission(JobId.Parse("job"), Spec(10), Key, null), default);

        var first = (await store.ClaimShardAsync("n1", NoWarm, ttl, default))!;
        Assert.True(await store.RenewShardAsync(first, ttl, default));
        Assert.Null(await store.ClaimShardAsync("n2", NoWarm, ttl, default));
        await Task.Delay(ttl + TimeSpan.FromMilliseconds(300));

        Assert.False(await store.CompleteShardAsync(first, default));
        var second = (await store.ClaimShardAsync("n2", NoWarm, TimeSpan.FromMinutes(1), default))!;
        Assert.Equal(first.Shard, second.Shard);
        Assert.True(second.Token > first.Token);
        Assert.Equal(2, second.Attempt);
        Assert.False(await store.RenewShardAsync(first, ttl, default));
        Assert.True(await store.CompleteShardAsync(second, default));
    }

    [Fact]
    public async Task Store_ServerRestartedImmediately_FailsRetryablyThenWorksAgain()
    {
        var (store, _) = await MigratedStoreAsync(clock: null);
        var ttl = TimeSpan.FromMinutes(2);
        await store.SubmitAsync(new JobSubmission(JobId.Parse("job"), Spec(30), Key, null), default);
        var lease = (await store.ClaimShardAsync("n1", NoWarm, ttl, default))!;
        // Warm the pool: several connections that the restart will break.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.GetJobAsync(lease.Shard.Job, default)));

        await Server.RestartAsync("immediate");
        var clock = Stopwatch.StartNew();
        var failures = 0;
        JobRecord? job = null;
        while (job is null)
        {
            try
            {
                job = await store.GetJobAsync(lease.Shard.Job, default);
            }
            catch (ClusterStoreUnavailableException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                failures++;
                await Task.Delay(100);
            }
        }

        output.WriteLine($"recovered {clock.Elapsed.TotalMilliseconds:F0} ms after pg_ctl restart -m immediate returned, {failures} retryable failure(s)");
        Assert.Equal(JobState.Running, job.State);
        Assert.True(await store.RenewShardAsync(lease, ttl, default));
        Assert.True(await store.CompleteShardAsync(lease, default));
        Assert.Equal(2, await DrainAsync(store));
        Assert.Equal(3, (await store.GetJobAsync(lease.Shard.Job, default))!.ShardsDone);
    }

    [Fact]
    public async Task Store_ServerDown_ThrowsClusterStoreUnavailableAndRecoversWhenItReturns()
    {
        var (store, _) = await MigratedStoreAsync(clock: null);
        await store.SubmitAsync(new JobSubmission(JobId.Parse("job"), Spec(10), Key, null), default);

        await Server.StopAsync("immediate");
        try
        {
            await Assert.ThrowsAsync<ClusterStoreUnavailableException>(() => store.ClaimShardAsync("n1", NoWarm, TimeSpan.FromMinutes(1), default));
            await Assert.ThrowsAsync<ClusterStoreUnavailableException>(() => store.HeartbeatAsync(new NodeInfo("n1", "a", 1, []), default));
            Assert.False(await store.IsReadyAsync(default));
        }
        finally
        {
            await Server.StartAgainAsync();
        }

        Assert.True(await store.IsReadyAsync(default));
        Assert.Equal(1, await DrainAsync(store));
    }

    [Theory]
    [InlineData(true, "shards_claim_warm")]
    [InlineData(false, "shards_claim")]
    public async Task Claim_ManyShards_PlanIsAnOrderedScanOfThePartialIndex(bool warm, string index)
    {
        var (store, schema) = await MigratedStoreAsync(clock: null);
        await store.SubmitAsync(new JobSubmission(JobId.Parse("a"), Spec(5000, shardSize: 1), Key, null), default);
        await store.SubmitAsync(new JobSubmission(JobId.Parse("b"), Spec(5000, shardSize: 1), new SamplerKey("other", new Resolution(1, 2, 2)), null), default);
        await using var connection = await OpenAsync(schema);
        await using (var analyze = new NpgsqlCommand("ANALYZE shards", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        // A warm key with no claimable shard is the case a filtered scan of shards_claim would make slow.
        await using var explain = new NpgsqlCommand("EXPLAIN " + PostgresSql.Get("ClaimShard"), connection);
        explain.Parameters.AddWithValue("warm", warm ? new[] { "absent@1x1x1", Key.ToString() } : Array.Empty<string>());
        explain.Parameters.AddWithValue("node", "n1");
        explain.Parameters.AddWithValue("ttl", TimeSpan.FromMinutes(1));
        explain.Parameters.Add(new NpgsqlParameter("now", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = DBNull.Value });
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var scans = plan.Where(l => l.Contains("Scan", StringComparison.Ordinal) && l.Contains("shards", StringComparison.Ordinal)).ToList();
        output.WriteLine(string.Join('\n', plan));
        Assert.Contains(scans, l => l.Contains($"Index Scan using {index} on shards", StringComparison.Ordinal));
        Assert.DoesNotContain(scans, l => l.Contains("Seq Scan", StringComparison.Ordinal) || l.Contains("Bitmap", StringComparison.Ordinal));
        if (warm)
        {
            var warmScan = plan.FindIndex(l => l.Contains("Index Scan using shards_claim_warm", StringComparison.Ordinal));
            Assert.Contains("Index Cond", plan[warmScan + 1], StringComparison.Ordinal);
        }
    }

    private static JobSpec Spec(int samples, int shardSize = 10) => new()
    {
        Kind = JobKind.Fid,
        Model = "gmm-demo",
        Sampler = SamplerSpec.Euler(4),
        Samples = samples,
        ShardSize = shardSize,
    };

    private PostgresClusterStore NewStore(string schema, TimeProvider? clock = null)
    {
        var store = new PostgresClusterStore(new PostgresClusterStoreOptions { ConnectionString = Server.ConnectionString, Schema = schema, Clock = clock });
        _stores.Add(store);
        return store;
    }

    private async Task<(PostgresClusterStore Store, string Schema)> MigratedStoreAsync(TimeProvider? clock = null)
    {
        var schema = Server.NewSchemaName("store");
        var store = NewStore(schema, clock);
        await store.MigrateAsync(default);
        return (store, schema);
    }

    private async Task<NpgsqlConnection> OpenAsync(string schema)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server.ConnectionString) { SearchPath = schema, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Until the submission's INSERT waits for the other inserter's transaction (seen by the server, not guessed by a delay).</summary>
    private async Task WaitUntilBlockedOnLockAsync(Task submission)
    {
        await using var monitor = await OpenAsync("public");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(submission.IsCompleted, "the submission did not wait for the conflicting inserter");
            await using var waiting = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO jobs%'", monitor);
            if ((long)(await waiting.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the submission never blocked on the conflicting inserter");
            await Task.Delay(20);
        }
    }

    private static async Task InsertJobRowAsync(NpgsqlConnection connection, string id, string idempotencyKey)
    {
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO jobs (id, spec, sampler_key, samples, idempotency_key, max_attempts, shard_count, created_at)
            VALUES (@id, @spec, 'gmm-demo@3x8x8', 30, @key, 3, 3, now())
            """, connection);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("spec", NpgsqlTypes.NpgsqlDbType.Jsonb, JobJson.Serialize(Spec(30)));
        insert.Parameters.AddWithValue("key", idempotencyKey);
        await insert.ExecuteNonQueryAsync();
    }

    private static async Task<int> DrainAsync(IClusterStore store)
    {
        var done = 0;
        while (await store.ClaimShardAsync("drain", NoWarm, TimeSpan.FromMinutes(1), default) is { } lease)
        {
            Assert.True(await store.CompleteShardAsync(lease, default));
            done++;
        }

        return done;
    }
}
