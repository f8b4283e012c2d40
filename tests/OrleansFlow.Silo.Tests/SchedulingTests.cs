using OrleansFlow.Testing;
using OrleansFlow.Client;

namespace OrleansFlow.Silo.Tests;

[Collection(SiloCollection.Name)]
public sealed class SchedulingTests(PostgresFixture postgres)
{
    [Fact]
    public async Task PoisonShard_JobFailsAfterTheAttemptBoundWithItsError_OtherJobSucceeds()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 2, new ClusterSettings { PoisonShard = "666/3", MaxAttempts = 2 });
        using var client = cluster.Client();
        var poisoned = await client.SubmitAsync(JobSpecs.Fid(seed: 666, samples: 3_000, shardSize: 500), "poisoned", default);
        var healthy = await client.SubmitAsync(JobSpecs.Fid(seed: 5, samples: 3_000, shardSize: 500), "healthy", default);

        var failed = await cluster.WaitAsync(poisoned.Id, TimeSpan.FromMinutes(2));
        var succeeded = await cluster.WaitAsync(healthy.Id, TimeSpan.FromMinutes(2));

        Assert.Equal("failed", failed.State);
        Assert.Contains("poison shard 3", failed.Error);
        Assert.Contains("2", failed.Error);
        Assert.Equal("succeeded", succeeded.State);
    }

    [Fact]
    public async Task OneWorkerSilo_WhileItRuns_OneMoreShardWaitsThereAndTheLedgerIsWrittenOncePerShard()
    {
        // Slow shards, so the polls see the silo's queue; 12 shards on one silo with one worker.
        var spec = JobSpecs.Fid(seed: 21, samples: 3_000, shardSize: 250);
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1, new ClusterSettings { ShardDelay = TimeSpan.FromMilliseconds(300) });
        using var client = cluster.Client();
        var job = await client.SubmitAsync(spec, "queue-test", default);
        var mostInFlight = 0;
        for (var running = job; !running.IsFinished; running = await client.GetAsync(job.Id, default))
        {
            mostInFlight = Math.Max(mostInFlight, running.InFlight?.Values.Sum() ?? 0);
            await Task.Delay(20);
        }

        var finished = await cluster.WaitAsync(job.Id, TimeSpan.FromMinutes(2));
        var writes = PrometheusText.Parse(await cluster.ScrapeAsync(cluster.Silos[0]))
            .Sum("orleans_storage_write_latency_seconds_count", ("state_type", "JobLedger"));

        Assert.True(finished.State == "succeeded", $"{finished.State}: {finished.Error}");
        Assert.Equal(2, mostInFlight);
        // The first dispatches, at most one write per report (with the dispatch replacing it), Finalizing,
        // Succeeded: 12 + 2 at most, where a write for the report and another for the next dispatch made 25.
        Assert.InRange(writes, 3, finished.ShardCount + 2);
    }

    [Fact]
    public async Task TwoJobsSubmittedTogether_BothProgressBeforeEitherFinishes()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 2);
        using var client = cluster.Client();
        var first = await client.SubmitAsync(JobSpecs.Fid(seed: 1, samples: 8_000, shardSize: 250), "first", default);
        var second = await client.SubmitAsync(JobSpecs.Fid(seed: 2, samples: 8_000, shardSize: 250), "second", default);

        var bothStarted = false;
        while (true)
        {
            var (a, b) = (await client.GetAsync(first.Id, default), await client.GetAsync(second.Id, default));
            if (a.IsFinished || b.IsFinished)
            {
                break;
            }

            if (a.ShardsDone > 0 && b.ShardsDone > 0)
            {
                bothStarted = true;
                break;
            }

            await Task.Delay(50);
        }

        Assert.True(bothStarted, "one job finished before the other made progress");
        Assert.Equal("succeeded", (await cluster.WaitAsync(first.Id, TimeSpan.FromMinutes(2))).State);
        Assert.Equal("succeeded", (await cluster.WaitAsync(second.Id, TimeSpan.FromMinutes(2))).State);
    }

    [Fact]
    public async Task ClientWithCluster_SameSummaryFiguresAsEmbeddedAndSummaryWrittenToOut()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 2);
        var scratch = Path.Combine(cluster.Root, "client");
        string[] job = ["fid", "--samples", "3000", "--shard-size", "500", "--sampler", "heun:steps=4", "--quiet"];
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await Cli.RunAsync([.. job, "--cluster", cluster.Silos[0].Address.ToString(), "--token", TestCluster.Token, "--out", Path.Combine(scratch, "cluster")], output, error);
        var embeddedExit = await Cli.RunAsync([.. job, "--out", Path.Combine(scratch, "embedded")], new StringWriter(), new StringWriter());

        Assert.True(exit == 0, error.ToString());
        Assert.Equal(0, embeddedExit);
        var fromCluster = Jobs.JobJson.Deserialize<Jobs.JobSummary>(await File.ReadAllBytesAsync(Path.Combine(scratch, "cluster", "summary.json")));
        var fromEmbedded = Jobs.JobJson.Deserialize<Jobs.JobSummary>(await File.ReadAllBytesAsync(Path.Combine(scratch, "embedded", "summary.json")));
        Assert.Equal(fromEmbedded.Fid, fromCluster.Fid);
        Assert.Equal(fromEmbedded.Nfe, fromCluster.Nfe);
        Assert.Equal(fromEmbedded.Spec, fromCluster.Spec);
    }

    [Fact]
    public async Task ClientWithCluster_BadSpec_ExitTwoNamingTheField()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);
        var error = new StringWriter();

        var exit = await Cli.RunAsync(["fid", "--class", "42", "--samples", "10", "--cluster", cluster.Silos[0].Address.ToString(), "--token", TestCluster.Token], new StringWriter(), error);

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.StartsWith("orleansflow: --class:", error.ToString());
    }
}
