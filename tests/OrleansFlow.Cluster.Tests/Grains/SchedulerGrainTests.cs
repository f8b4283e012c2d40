using System.Diagnostics;
using Orleans.Core.Internal;
using Orleans.TestingHost;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using OrleansFlow.Silo.Embedded;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Cluster.Tests.Grains;

/// <summary>The grains on Orleans' in-process 3-silo TestCluster.</summary>
public sealed class SchedulerGrainTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _scratch = new();

    [Fact]
    public async Task SamplerGrains_TwoJobsOnThreeSilos_EachSiloLoadsTheModelOnce()
    {
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), TimeSpan.Zero, blockDelay: TimeSpan.Zero, output);
        try
        {
            var first = await RunAsync(cluster, Spec(seed: 1));
            var loadsAfterFirst = TestSilos.Loads.ToDictionary();
            var second = await RunAsync(cluster, Spec(seed: 2));

            output.WriteLine($"loads per silo after job 1: {string.Join(", ", loadsAfterFirst.Values)}; after job 2: {string.Join(", ", TestSilos.Loads.Values)}");
            Assert.Equal((JobState.Succeeded, JobState.Succeeded), (first.State, second.State));
            Assert.Equal(3, TestSilos.Loads.Count);
            Assert.All(TestSilos.Loads.Values, loads => Assert.Equal(1, loads));
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task Submit_ColdCluster_EverySiloLoadsTheModelBesideTheSubmittingOne()
    {
        // A load long enough that loading in turn (the submitting silo, then the others at their first shard) shows.
        TestSilos.LoadDelay = TimeSpan.FromSeconds(3);
        // The three silos share this process's thread pool, and each test load blocks a thread: without spare
        // threads the loads would start one thread injection apart (up to ~1 s each under load), as separate
        // silo processes would not.
        ThreadPool.GetMinThreads(out var workers, out var ports);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), ports);
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), TimeSpan.Zero, blockDelay: TimeSpan.Zero, output);
        try
        {
            var submittedAt = DateTimeOffset.UtcNow;
            var submitted = await cluster.Client.GetGrain<IJobsGrain>(0).SubmitAsync(Spec(seed: 4), idempotencyKey: null);
            var record = await TestClusters.WaitForEndAsync(cluster, submitted.Job!.Job);
            var loads = TestSilos.LoadTimes.OrderBy(l => l.Started).ToList();
            output.WriteLine($"model loads (started-finished, s after the submission): {string.Join(", ", loads.Select(l => $"{(l.Started - submittedAt).TotalSeconds:F1}-{(l.Finished - submittedAt).TotalSeconds:F1}"))}");

            Assert.Equal(JobState.Succeeded, record.State);
            Assert.All(TestSilos.Loads.Values, perSilo => Assert.Equal(1, perSilo));
            Assert.Equal(3, loads.Count);
            // Side by side: every load starts while the first is still going. In turn, the other silos would start
            // loading at their first shard, which comes after the submitting silo's prepare (its load) has ended.
            var firstFinished = loads.Min(l => l.Finished);
            Assert.All(loads, l => Assert.True(l.Started < firstFinished, $"a load started {(l.Started - firstFinished).TotalSeconds:F1} s after the first load finished"));
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, ports);
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task KillSchedulerSilo_MidJob_CompletesWithEveryShardOnceAndTheStatisticsOfEmbedded()
    {
        var spec = Spec(seed: 7);
        var embedded = _scratch.Combine("embedded");
        await EmbeddedRunner.RunAsync(spec, embedded, new RunOptions { Workers = 2 }, progress: null, CancellationToken.None);
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), TimeSpan.FromMilliseconds(300), blockDelay: TimeSpan.Zero, output);
        try
        {
            var (job, silo) = await SubmitOffPrimaryAsync(cluster, spec);
            var scheduler = cluster.Client.GetGrain<IJobSchedulerGrain>(job);
            await TestClusters.WaitAsync(async () => (await scheduler.GetAsync())!.ShardsDone >= 3, "3 shards done");
            var before = (await scheduler.GetAsync())!;
            var clock = Stopwatch.StartNew();
            await cluster.KillSiloAsync(silo);

            var record = await TestClusters.WaitForEndAsync(cluster, job);
            output.WriteLine($"killed the scheduler's silo with {before.ShardsDone}/{before.ShardCount} shards done; job ended {record.State} {clock.Elapsed.TotalSeconds:F1} s later");
            Assert.Equal(JobState.Succeeded, record.State);
            Assert.Equal((spec.ShardCount, (long)spec.Samples), (record.ShardsDone, record.SamplesDone));
            Assert.Equal(spec.Samples, record.Summary!.Samples);
            Assert.Equal(
                await File.ReadAllBytesAsync(Path.Combine(embedded, "stats.npz")),
                await File.ReadAllBytesAsync(Path.Combine(TestSilos.BlobRoot, "jobs", job, "stats.npz")));
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task KillSchedulerSilo_OtherSilosSamplersDeactivating_TheirRunningShardsAreStillAdopted()
    {
        // When a silo dies, Orleans deactivates every activation whose directory entry lived there; a sampler grain
        // hit by this holds its calls until the shard calls it serves end. Forced here on both surviving silos'
        // samplers, so that the new scheduler activation must adopt their runs while they deactivate.
        var spec = Spec(seed: 8) with { Samples = 1_800 };
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), TimeSpan.FromSeconds(8), blockDelay: TimeSpan.Zero, output);
        try
        {
            var (job, victim) = await SubmitOffPrimaryAsync(cluster, spec);
            var survivors = cluster.Silos.Where(s => s != victim).Select(s => s.SiloAddress.ToParsableString()).ToList();
            IReadOnlyList<ShardRow> running = [];
            await TestClusters.WaitAsync(
                async () =>
                {
                    running = [.. (await TestSilos.ShardLedger.ReadAsync(JobId.Parse(job), default)).Where(r => r.Status == ShardStatus.Dispatched && survivors.Contains(r.Silo!))];
                    return running.Count >= 2 * survivors.Count;
                },
                "shards dispatched to both surviving silos");
            await Task.Delay(TimeSpan.FromSeconds(1));
            foreach (var silo in survivors)
            {
                await cluster.Client.GetGrain<ISamplerGrain>(new SamplerGrainKey(silo, spec.Model).ToGrainKey()).Cast<IGrainManagementExtension>().DeactivateOnIdle();
            }

            await cluster.KillSiloAsync(victim);
            var record = await TestClusters.WaitForEndAsync(cluster, job);

            var rows = (await TestSilos.ShardLedger.ReadAsync(JobId.Parse(job), default)).ToDictionary(r => r.Index);
            output.WriteLine($"shards {string.Join(',', running.Select(r => r.Index))} running on the surviving silos at the kill; afterwards resumed (found written by a second dispatch): {string.Join(',', running.Where(r => rows[r.Index].Resumed).Select(r => r.Index))}");
            Assert.Equal(JobState.Succeeded, record.State);
            Assert.All(running, r => Assert.Equal((ShardStatus.Done, 1, false), (rows[r.Index].Status, rows[r.Index].Attempts, rows[r.Index].Resumed)));
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task JobFeed_SchedulerPushesEveryChange_WithoutWaitingForRenewal()
    {
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), TimeSpan.FromMilliseconds(100), blockDelay: TimeSpan.Zero, output);
        try
        {
            var submitted = await cluster.Client.GetGrain<IJobsGrain>(0).SubmitAsync(Spec(seed: 3), idempotencyKey: null);
            var scheduler = cluster.Client.GetGrain<IJobSchedulerGrain>(submitted.Job!.Job);
            using var feed = new JobFeed(cluster.Client);
            using var timeout = new CancellationTokenSource(TestClusters.JobTimeout);
            var clock = Stopwatch.StartNew();
            var received = new List<(TimeSpan At, JobRecord Job)>();
            await foreach (var record in feed.FollowAsync(scheduler.SubscribeAsync, timeout.Token))
            {
                received.Add((clock.Elapsed, record));
            }

            // Before the first renewal only the scheduler's pushes can bring news: the subscription
            // returned one record, every later one within the period came from a ledger write.
            var pushed = received.Skip(1).Where(r => r.At < JobFeed.Renewal * 0.9).Select(r => r.Job.ShardsDone).Distinct().ToList();
            output.WriteLine($"{received.Count} records in {clock.Elapsed.TotalSeconds:F1} s; shards done in pushes before the first renewal: {string.Join(", ", pushed)}");
            Assert.Equal(JobState.Succeeded, received[^1].Job.State);
            Assert.True(pushed.Count >= 3, $"only {pushed.Count} distinct progress values pushed within {JobFeed.Renewal.TotalSeconds * 0.9} s");
            await feed.UnsubscribeAsync(submitted.Job.Job);
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    public void Dispose() => _scratch.Dispose();

    /// <summary>30 shards of 200 samples on gmm-demo: small, but each silo runs several.</summary>
    private static JobSpec Spec(long seed) => new()
    {
        Kind = JobKind.Fid,
        Model = "gmm-demo",
        Sampler = SamplerSpec.Heun(4),
        Samples = 6000,
        ShardSize = 200,
        BatchSize = 100,
        Seed = seed,
    };

    private static async Task<JobRecord> RunAsync(TestCluster cluster, JobSpec spec)
    {
        var submitted = await cluster.Client.GetGrain<IJobsGrain>(0).SubmitAsync(spec, idempotencyKey: null);
        Assert.Null(submitted.Error);
        return await TestClusters.WaitForEndAsync(cluster, submitted.Job!.Job);
    }

    /// <summary>
    /// Submits until the job's scheduler lands on a secondary silo: the test cluster's membership table
    /// lives on the primary, so killing the primary would kill the cluster, not a silo.
    /// </summary>
    private static async Task<(string Job, SiloHandle Silo)> SubmitOffPrimaryAsync(TestCluster cluster, JobSpec spec)
    {
        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var submitted = await cluster.Client.GetGrain<IJobsGrain>(0).SubmitAsync(spec, idempotencyKey: null);
            var scheduler = cluster.Client.GetGrain<IJobSchedulerGrain>(submitted.Job!.Job);
            var address = await management.GetActivationAddress(scheduler);
            var silo = cluster.SecondarySilos.FirstOrDefault(s => s.SiloAddress.Equals(address));
            if (silo is not null)
            {
                return (submitted.Job.Job, silo);
            }

            await scheduler.CancelAsync();
        }

        throw new InvalidOperationException("no scheduler landed on a secondary silo in 20 submissions");
    }
}
