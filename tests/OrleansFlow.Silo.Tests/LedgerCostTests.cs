using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// DESIGN.md, "Scale contracts": the storage bytes a shard event writes do not depend on the job's shard
/// count. Measured as PostgreSQL's own WAL volume (<c>pg_current_wal_lsn()</c>) over the middle of each
/// job, where every write is a shard event (dispatch, report) — the start and the finalisation are outside.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class LedgerCostTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task BytesWrittenPerShardEvent_2000ShardJob_Within1Point5TimesThoseOfA100ShardJob()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1, new ClusterSettings { WorkersPerSilo = 2 });
        // Full-page images (one per page first touched after a checkpoint) and autovacuum would add WAL
        // that depends on when a checkpoint fell, not on what the scheduler wrote: off for the measurement.
        await cluster.ScalarAsync("ALTER TABLE job_shards SET (autovacuum_enabled = false)");
        await cluster.ScalarAsync("ALTER SYSTEM SET full_page_writes = off");
        await cluster.ScalarAsync("SELECT pg_reload_conf()");
        try
        {
            var small = await WalBytesPerShardAsync(cluster, shards: 100, seed: 41);
            var large = await WalBytesPerShardAsync(cluster, shards: 2_000, seed: 42);
            output.WriteLine($"WAL bytes per shard: 100-shard job {small:F0}, 2,000-shard job {large:F0} ({large / small:F2}x)");

            Assert.InRange(large / small, 1 / 1.5, 1.5);
        }
        finally
        {
            await cluster.ScalarAsync("ALTER SYSTEM RESET full_page_writes");
            await cluster.ScalarAsync("SELECT pg_reload_conf()");
        }
    }

    /// <summary>WAL bytes per shard done between 10 % and 70 % of the job's shards.</summary>
    private static async Task<double> WalBytesPerShardAsync(TestCluster cluster, int shards, long seed)
    {
        var spec = JobSpecs.Fid(seed: seed, samples: shards, shardSize: 1, sampler: "euler:steps=1");
        using var client = cluster.Client();
        var job = await client.SubmitAsync(spec, $"cost-{shards}", default);
        var from = await cluster.WaitForShardsAsync(job.Id, shards / 10, TimeSpan.FromMinutes(5));
        var fromLsn = (string)(await cluster.ScalarAsync("SELECT pg_current_wal_lsn()::text"))!;
        var to = await cluster.WaitForShardsAsync(job.Id, shards * 7 / 10, TimeSpan.FromMinutes(5));
        var bytes = Convert.ToDouble(await cluster.ScalarAsync($"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{fromLsn}')"));
        var finished = await cluster.WaitAsync(job.Id, TimeSpan.FromMinutes(5));
        Assert.True(finished.State == "succeeded", $"{finished.State}: {finished.Error}");
        return bytes / (to.ShardsDone - from.ShardsDone);
    }
}
