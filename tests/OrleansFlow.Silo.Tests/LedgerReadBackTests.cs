using OrleansFlow.Client.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// A job's stored state read back by a new scheduler activation after the silo that hosted the old one
/// was SIGKILLed: the view and the summary are what they were (DESIGN.md, "Whatever a job wrote stays readable").
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class LedgerReadBackTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task FinishedJob_SchedulerSiloKilled_SurvivorReadsTheSameViewAndSummary()
    {
        var spec = JobSpecs.Fid(seed: 31, samples: 3_000, shardSize: 500, sampler: "flowturbo:h=1,p=2,r=1");
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 2);
        using var client = cluster.Client(cluster.Silos[0]);
        var job = await client.SubmitAsync(spec, "finished-read-back", default);
        var before = await cluster.WaitAsync(job.Id, JobTimeout);
        Assert.True(before.State == "succeeded", $"{before.State}: {before.Error}");
        var victim = cluster.SiloOf(before.Scheduler)!;
        var survivor = cluster.Silos.First(s => s != victim);

        await cluster.KillSiloAsync(victim);
        await cluster.WaitDeclaredDeadAsync(victim, TimeSpan.FromSeconds(30));
        var after = await ReadFromAsync(cluster, survivor, job.Id, j => j.Scheduler != before.Scheduler);

        Assert.Equal(Comparable(before), Comparable(after));
        Assert.Equal(JobJson.Serialize(before.Summary!), JobJson.Serialize(after.Summary!));
    }

    [Fact]
    public async Task JobPartWayThrough_SchedulerSiloKilled_SurvivorReadsItsProgressAndFinishesIt()
    {
        var spec = JobSpecs.Fid(seed: 32, samples: 6_000, shardSize: 250);
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 3, new ClusterSettings { ShardDelay = TimeSpan.FromMilliseconds(400) });
        using var client = cluster.Client(cluster.Silos[0]);
        var job = await client.SubmitAsync(spec, "part-way-read-back", default);
        var before = await cluster.WaitForShardsAsync(job.Id, 4, JobTimeout);
        var victim = cluster.SiloOf(before.Scheduler)!;
        var survivor = cluster.Silos.First(s => s != victim);

        await cluster.KillSiloAsync(victim);
        await cluster.WaitDeclaredDeadAsync(victim, TimeSpan.FromSeconds(30));
        var after = await ReadFromAsync(cluster, survivor, job.Id, j => j.Scheduler != before.Scheduler);
        output.WriteLine($"before the kill: {before.ShardsDone}/{before.ShardCount} done; read back on a survivor: {after.ShardsDone} done, {after.State}");

        Assert.Equal((before.Id, before.ShardCount, before.CreatedAt), (after.Id, after.ShardCount, after.CreatedAt));
        Assert.True(after.ShardsDone >= before.ShardsDone && after.SamplesDone >= before.SamplesDone, $"progress went back: {before.ShardsDone} -> {after.ShardsDone}");
        var finished = await cluster.WaitAsync(job.Id, JobTimeout);
        Assert.True(finished.State == "succeeded", $"{finished.State}: {finished.Error}\n{cluster.Logs()}");
        var audit = ShardAudit.Read(Path.Combine(cluster.StorePath, "jobs", job.Id), spec);
        Assert.Equal((0L, 0L), (audit.Lost, audit.CountedTwice));
        var again = await ReadFromAsync(cluster, survivor, job.Id, _ => true);
        Assert.Equal(JobJson.Serialize(finished.Summary!), JobJson.Serialize(again.Summary!));
    }

    private static object Comparable(ClusterJob job) =>
        (job.Id, job.State, job.ShardCount, job.ShardsDone, job.SamplesDone, job.CreatedAt, job.FinishedAt, job.Error);

    /// <summary>
    /// The job as <paramref name="silo"/> reports it once <paramref name="ready"/> holds. An error while Orleans
    /// moves the scheduler is tolerated; one that lasts (an unreadable ledger answers 500 every time) fails.
    /// </summary>
    private static async Task<ClusterJob> ReadFromAsync(TestCluster cluster, SiloProcess silo, string jobId, Func<ClusterJob, bool> ready)
    {
        using var client = cluster.Client(silo);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var job = await client.GetAsync(jobId, default);
                if (ready(job))
                {
                    return job;
                }
            }
            catch (ClusterRequestException e)
            {
                last = e;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId} not read back from {silo.NodeId} within 60 s; last error: {last?.Message}\n{cluster.Logs()}");
    }
}
