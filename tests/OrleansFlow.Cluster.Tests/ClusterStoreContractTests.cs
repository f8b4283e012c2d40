using OrleansFlow.Testing;
using System.Collections.Concurrent;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

namespace OrleansFlow.Cluster.Tests;

/// <summary>
/// The contract of <see cref="IClusterStore"/>, run against every implementation. Time is a manual
/// clock (the Postgres store takes it as <c>@now</c>), so expiry tests are exact and instant.
/// </summary>
public abstract class ClusterStoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    protected static readonly SamplerKey KeyA = new("gmm-demo", new Resolution(3, 8, 8));
    protected static readonly SamplerKey KeyB = new("gmm:other.json", new Resolution(1, 4, 4));
    private static readonly SamplerKey[] NoWarm = [];

    protected ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected IClusterStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync(Clock);
        await Store.MigrateAsync(default);
    }

    public async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    protected abstract Task<IClusterStore> CreateStoreAsync(TimeProvider clock);

    [Fact]
    public async Task Submit_NewJob_CreatesRunningJobWithPlannedShards()
    {
        var spec = Spec(samples: 25, shardSize: 10);
        var result = await Store.SubmitAsync(new JobSubmission(JobId.Parse("job-1"), spec, KeyA, null), default);

        Assert.True(result.Created);
        var job = await Store.GetJobAsync(JobId.Parse("job-1"), default);
        Assert.NotNull(job);
        Assert.Equal(result.Job, job);
        Assert.Equal(spec, job.Spec);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(3, job.ShardCount);
        Assert.Equal(0, job.ShardsDone);
        Assert.Equal(0, job.SamplesDone);
        Assert.Equal(Clock.GetUtcNow(), job.CreatedAt);
        Assert.Null(job.FinishedAt);
        Assert.False(job.IsFinished);
    }

    [Fact]
    public async Task GetJob_UnknownId_ReturnsNull() =>
        Assert.Null(await Store.GetJobAsync(JobId.Parse("nope"), default));

    [Fact]
    public async Task ListJobs_SeveralJobs_MostRecentFirstUpToLimit()
    {
        foreach (var name in (string[])["a", "b", "c"])
        {
            await SubmitAsync(name, shards: 1);
        }

        var jobs = await Store.ListJobsAsync(2, default);

        Assert.Equal(["c", "b"], jobs.Select(j => j.Id.Value));
        Assert.Equal(3, (await Store.ListJobsAsync(10, default)).Count);
    }

    [Fact]
    public async Task Submit_SameIdempotencyKey_ReturnsFirstJobAndCreatesNothing()
    {
        var first = await Store.SubmitAsync(new JobSubmission(JobId.Parse("first"), Spec(10), KeyA, "key-1"), default);
        var again = await Store.SubmitAsync(new JobSubmission(JobId.Parse("second"), Spec(20), KeyB, "key-1"), default);
        var other = await Store.SubmitAsync(new JobSubmission(JobId.Parse("third"), Spec(10), KeyA, "key-2"), default);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Job.Id, again.Job.Id);
        Assert.Equal(first.Job.Spec, again.Job.Spec);
        Assert.True(other.Created);
        Assert.Null(await Store.GetJobAsync(JobId.Parse("second"), default));
        Assert.Equal(2, (await Store.ListJobsAsync(10, default)).Count);
    }

    [Fact]
    public async Task Submit_ExistingJobIdWithoutKey_Throws()
    {
        await SubmitAsync("dup", shards: 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => SubmitAsync("dup", shards: 1));
    }

    [Fact]
    public async Task Submit_100ConcurrentSameKey_CreatesExactlyOneJob()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            Store.SubmitAsync(new JobSubmission(JobId.Parse($"job-{i}"), Spec(samples: 50, shardSize: 10), KeyA, "same-key"), default))));

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.Job.Id).Distinct());
        var jobs = await Store.ListJobsAsync(1000, default);
        Assert.Single(jobs);
        Assert.Equal(5, jobs[0].ShardCount);
        Assert.Equal(5, await DrainAsync("n1"));
    }

    [Fact]
    public async Task Progress_ShardsCompleted_CountsDoneShardsAndTheirSamples()
    {
        await SubmitAsync("job", samples: 25, shardSize: 10);
        var leases = await ClaimManyAsync("n1", 3);

        Assert.True(await Store.CompleteShardAsync(leases[2], default));
        Assert.True(await Store.CompleteShardAsync(leases[0], default));

        var job = await Store.GetJobAsync(JobId.Parse("job"), default);
        Assert.Equal(2, job!.ShardsDone);
        Assert.Equal(15, job.SamplesDone);
        Assert.Equal(JobState.Running, job.State);
    }

    [Fact]
    public async Task Claim_NothingClaimable_ReturnsNull()
    {
        Assert.Null(await Store.ClaimShardAsync("n1", NoWarm, Ttl, default));
        await SubmitAsync("job", shards: 1);
        Assert.NotNull(await Store.ClaimShardAsync("n1", NoWarm, Ttl, default));
        Assert.Null(await Store.ClaimShardAsync("n2", NoWarm, Ttl, default));
    }

    [Fact]
    public async Task Claim_Pending_LeasesWithTokenAttemptExpiryRangeAndSpec()
    {
        var spec = Spec(samples: 25, shardSize: 10);
        await Store.SubmitAsync(new JobSubmission(JobId.Parse("job"), spec, KeyA, null), default);
        Clock.Advance(TimeSpan.FromSeconds(1));

        var lease = await Store.ClaimShardAsync("n1", NoWarm, Ttl, default);

        Assert.NotNull(lease);
        Assert.Equal(new ShardId(JobId.Parse("job"), 0), lease.Shard);
        Assert.Equal(new ShardRange(0, 0, 10), lease.Range);
        Assert.Equal(spec, lease.Spec);
        Assert.Equal("n1", lease.Owner);
        Assert.Equal(1, lease.Attempt);
        Assert.Equal(Clock.GetUtcNow() + Ttl, lease.ExpiresAt);
        var last = (await ClaimManyAsync("n1", 2))[^1];
        Assert.Equal(new ShardRange(2, 20, 5), last.Range);
    }

    [Fact]
    public async Task Claim_TwoJobs_LowestShardIndexAcrossJobsOlderJobFirst()
    {
        await SubmitAsync("older", shards: 3);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await SubmitAsync("newer", shards: 2);

        var order = (await ClaimManyAsync("n1", 5)).Select(l => l.Shard.ToString());

        Assert.Equal(["older/00000", "newer/00000", "older/00001", "newer/00001", "older/00002"], order);
    }

    [Fact]
    public async Task Claim_WarmKey_PrefersShardsOfWarmSamplerThenAnyOther()
    {
        await SubmitAsync("cold", shards: 2, key: KeyA);
        await SubmitAsync("warm", shards: 2, key: KeyB);
        SamplerKey[] warm = [KeyB, new SamplerKey("not-running", new Resolution(3, 2, 2))];

        var order = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            order.Add((await Store.ClaimShardAsync("n1", warm, Ttl, default))!.Shard.ToString());
        }

        Assert.Equal(["warm/00000", "warm/00001", "cold/00000", "cold/00001"], order);
    }

    [Fact]
    public async Task Claim_ExpiredLease_ReclaimedWithHigherTokenAndAttempt()
    {
        await SubmitAsync("job", shards: 1);
        var first = await Store.ClaimShardAsync("n1", NoWarm, Ttl, default);
        Clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Null(await Store.ClaimShardAsync("n2", NoWarm, Ttl, default));
        Clock.Advance(TimeSpan.FromSeconds(1));

        var second = await Store.ClaimShardAsync("n2", NoWarm, Ttl, default);

        Assert.NotNull(second);
        Assert.Equal(first!.Shard, second.Shard);
        Assert.True(second.Token > first.Token);
        Assert.Equal(2, second.Attempt);
        Assert.Equal("n2", second.Owner);
        Assert.False(first.Reclaimed);
        Assert.True(second.Reclaimed);
    }

    [Fact]
    public async Task Claim_ReleasedShard_NotAReclaim()
    {
        await SubmitAsync("job", shards: 1);
        var first = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;
        Assert.True(await Store.ReleaseShardAsync(first, default));

        var second = (await Store.ClaimShardAsync("n2", NoWarm, Ttl, default))!;

        Assert.False(second.Reclaimed);
    }

    [Fact]
    public async Task CountShards_ClaimCompleteCancel_CountsPendingAndLeasedOfRunningJobs()
    {
        Assert.Equal(new ShardCounts(0, 0), await Store.CountShardsAsync(default));
        await SubmitAsync("a", shards: 4);
        await SubmitAsync("b", shards: 3);
        var leases = await ClaimManyAsync("n1", 2);
        Assert.True(await Store.CompleteShardAsync(leases[0], default));

        Assert.Equal(new ShardCounts(5, 1), await Store.CountShardsAsync(default));
        Assert.True(await Store.CancelJobAsync(JobId.Parse("b"), default));
        // Claims take a0 then b0 (lowest index, older job first); b's shards end with its cancellation.
        Assert.Equal(new ShardCounts(3, 0), await Store.CountShardsAsync(default));
    }

    [Fact]
    public async Task CountShards_ExpiredLease_StillCountedAsLeased()
    {
        await SubmitAsync("job", shards: 2);
        await ClaimManyAsync("n1", 1);
        Clock.Advance(Ttl);

        Assert.Equal(new ShardCounts(1, 1), await Store.CountShardsAsync(default));
    }

    [Fact]
    public async Task StaleToken_AfterReclaim_EveryWriteRejected()
    {
        await SubmitAsync("job", shards: 1);
        var stale = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;
        Clock.Advance(Ttl);
        var current = (await Store.ClaimShardAsync("n2", NoWarm, Ttl, default))!;

        Assert.False(await Store.RenewShardAsync(stale, Ttl, default));
        Assert.False(await Store.CompleteShardAsync(stale, default));
        Assert.False(await Store.ReleaseShardAsync(stale, default));
        Assert.False(await Store.FailShardAsync(stale, "late", default));
        Assert.True(await Store.RenewShardAsync(current, Ttl, default));
        Assert.True(await Store.CompleteShardAsync(current, default));
        Assert.Equal(1, (await Store.GetJobAsync(JobId.Parse("job"), default))!.ShardsDone);
    }

    [Fact]
    public async Task Complete_AfterExpiryWithoutReclaim_ReturnsFalse()
    {
        await SubmitAsync("job", shards: 1);
        var lease = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;
        Clock.Advance(Ttl);

        Assert.False(await Store.CompleteShardAsync(lease, default));
        Assert.False(await Store.RenewShardAsync(lease, Ttl, default));
        Assert.Equal(0, (await Store.GetJobAsync(JobId.Parse("job"), default))!.ShardsDone);
    }

    [Fact]
    public async Task Renew_LiveLease_ExtendsExpiry()
    {
        await SubmitAsync("job", shards: 1);
        var lease = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;
        Clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await Store.RenewShardAsync(lease, Ttl, default));
        Clock.Advance(TimeSpan.FromSeconds(20));

        Assert.Null(await Store.ClaimShardAsync("n2", NoWarm, Ttl, default));
        Assert.True(await Store.CompleteShardAsync(lease, default));
    }

    [Fact]
    public async Task Release_LiveLease_ShardClaimableWithoutCountingTheAttempt()
    {
        await SubmitAsync("job", shards: 1, maxAttempts: 1);
        var first = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;

        Assert.True(await Store.ReleaseShardAsync(first, default));
        var second = (await Store.ClaimShardAsync("n2", NoWarm, Ttl, default))!;

        Assert.Equal(1, second.Attempt);
        Assert.True(second.Token > first.Token);
        Assert.False(await Store.CompleteShardAsync(first, default));
        Assert.True(await Store.CompleteShardAsync(second, default));
    }

    [Fact]
    public async Task FailShard_BelowBound_ShardClaimableAgain()
    {
        await SubmitAsync("job", shards: 1, maxAttempts: 3);
        var first = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;

        Assert.True(await Store.FailShardAsync(first, "boom", default));
        var second = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;

        Assert.Equal(2, second.Attempt);
        Assert.Equal(JobState.Running, (await Store.GetJobAsync(JobId.Parse("job"), default))!.State);
    }

    [Fact]
    public async Task FailShard_AtBound_FailsJobWithErrorOtherJobsUnaffected()
    {
        await SubmitAsync("poison", shards: 3, maxAttempts: 2);
        await SubmitAsync("healthy", shards: 2);

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var lease = (await Store.ClaimShardAsync("n1", [KeyB], Ttl, default))!;
            Assert.Equal("poison/00000", lease.Shard.ToString());
            Assert.Equal(attempt, lease.Attempt);
            Assert.True(await Store.FailShardAsync(lease, "model exploded", default));
        }

        var poison = (await Store.GetJobAsync(JobId.Parse("poison"), default))!;
        Assert.Equal(JobState.Failed, poison.State);
        Assert.Contains("model exploded", poison.Error);
        Assert.Equal(Clock.GetUtcNow(), poison.FinishedAt);
        Assert.Equal(2, await DrainAsync("n1"));
        Assert.Equal(JobState.Running, (await Store.GetJobAsync(JobId.Parse("healthy"), default))!.State);
        Assert.Equal(2, (await Store.GetJobAsync(JobId.Parse("healthy"), default))!.ShardsDone);
    }

    [Fact]
    public async Task FailShard_JobFailed_OtherLeasesOfTheJobEnd()
    {
        await SubmitAsync("poison", shards: 2, maxAttempts: 1);
        var bad = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;
        var sibling = (await Store.ClaimShardAsync("n2", NoWarm, Ttl, default))!;

        Assert.True(await Store.FailShardAsync(bad, "boom", default));

        Assert.False(await Store.RenewShardAsync(sibling, Ttl, default));
        Assert.False(await Store.CompleteShardAsync(sibling, default));
        Assert.Null(await Store.ClaimShardAsync("n3", NoWarm, Ttl, default));
    }

    [Fact]
    public async Task Claim_LeaseExpiredOnEveryAttempt_FailsJobOtherJobsUnaffected()
    {
        await SubmitAsync("crasher", shards: 2, maxAttempts: 2);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var lease = (await Store.ClaimShardAsync($"n{attempt}", NoWarm, Ttl, default))!;
            Assert.Equal("crasher/00000", lease.Shard.ToString());
            Assert.Equal(attempt, lease.Attempt);
            Clock.Advance(Ttl);
        }

        await SubmitAsync("healthy", shards: 1);
        var next = await Store.ClaimShardAsync("n3", NoWarm, Ttl, default);

        Assert.Equal("healthy/00000", next!.Shard.ToString());
        var crasher = (await Store.GetJobAsync(JobId.Parse("crasher"), default))!;
        Assert.Equal(JobState.Failed, crasher.State);
        Assert.Contains("lease expired", crasher.Error);
        Assert.Null(await Store.ClaimShardAsync("n3", NoWarm, Ttl, default));
    }

    [Fact]
    public async Task Leave_NodeWithLeases_ReleasesAllWithoutCountingAttemptsAndLeavesMembership()
    {
        await SubmitAsync("job", shards: 4, maxAttempts: 1);
        await Store.HeartbeatAsync(new NodeInfo("n1", "http://n1", 2, []), default);
        await Store.HeartbeatAsync(new NodeInfo("n2", "http://n2", 2, []), default);
        var mine = await ClaimManyAsync("n1", 3);
        var theirs = (await Store.ClaimShardAsync("n2", NoWarm, Ttl, default))!;

        Assert.Equal(3, await Store.LeaveAsync("n1", default));

        Assert.False(await Store.RenewShardAsync(mine[0], Ttl, default));
        Assert.True(await Store.RenewShardAsync(theirs, Ttl, default));
        var reclaimed = await ClaimManyAsync("n2", 3);
        Assert.Equal(mine.Select(l => l.Shard.ToString()).Order(StringComparer.Ordinal), reclaimed.Select(l => l.Shard.ToString()).Order(StringComparer.Ordinal));
        Assert.All(reclaimed, l => Assert.Equal(1, l.Attempt));
        Assert.Equal(["n2"], (await Store.ListNodesAsync(TimeSpan.FromMinutes(1), default)).Select(n => n.Node.NodeId));
        Assert.Equal(0, await Store.LeaveAsync("n1", default));
    }

    [Fact]
    public async Task Cancel_RunningJob_NoFurtherClaimsAndLeasesEnd()
    {
        await SubmitAsync("job", shards: 3);
        var lease = (await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!;

        Assert.True(await Store.CancelJobAsync(JobId.Parse("job"), default));

        Assert.False(await Store.RenewShardAsync(lease, Ttl, default));
        Assert.False(await Store.CompleteShardAsync(lease, default));
        Assert.Null(await Store.ClaimShardAsync("n2", NoWarm, Ttl, default));
        Assert.Null(await Store.ClaimFinalizationAsync("n2", Ttl, default));
        var job = (await Store.GetJobAsync(JobId.Parse("job"), default))!;
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.True(job.IsFinished);
        Assert.False(await Store.CancelJobAsync(JobId.Parse("job"), default));
        Assert.False(await Store.CancelJobAsync(JobId.Parse("unknown"), default));
    }

    [Fact]
    public async Task Finalization_AllShardsDone_ClaimedOnceThenCompleted()
    {
        await SubmitAsync("job", shards: 2);
        var leases = await ClaimManyAsync("n1", 2);
        Assert.True(await Store.CompleteShardAsync(leases[0], default));
        Assert.Null(await Store.ClaimFinalizationAsync("n1", Ttl, default));
        Assert.True(await Store.CompleteShardAsync(leases[1], default));

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.ClaimFinalizationAsync($"n{i}", Ttl, default))));

        var final = Assert.Single(claims, c => c is not null)!;
        Assert.Equal(JobId.Parse("job"), final.Job);
        Assert.Equal(Clock.GetUtcNow() + Ttl, final.ExpiresAt);
        Assert.Equal(JobState.Finalizing, (await Store.GetJobAsync(final.Job, default))!.State);
        var summary = Summary(final.Spec);
        Assert.True(await Store.CompleteJobAsync(final, summary, default));
        Assert.False(await Store.CompleteJobAsync(final, summary, default));
        var job = (await Store.GetJobAsync(final.Job, default))!;
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(summary.Fid, job.Summary!.Fid);
        Assert.Equal(summary.Outputs, job.Summary.Outputs);
        Assert.Equal(2, job.ShardsDone);
        Assert.Null(await Store.ClaimFinalizationAsync("n1", Ttl, default));
    }

    [Fact]
    public async Task Finalization_FinaliserExpired_ReclaimedAndStaleCompletionRejected()
    {
        await SubmitAsync("job", shards: 1);
        Assert.True(await Store.CompleteShardAsync((await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!, default));
        var stale = (await Store.ClaimFinalizationAsync("n1", Ttl, default))!;
        Clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Null(await Store.ClaimFinalizationAsync("n2", Ttl, default));
        Clock.Advance(TimeSpan.FromSeconds(1));

        var current = (await Store.ClaimFinalizationAsync("n2", Ttl, default))!;

        Assert.True(current.Token > stale.Token);
        Assert.False(await Store.CompleteJobAsync(stale, Summary(stale.Spec), default));
        Assert.False(await Store.FailJobAsync(stale, "late", default));
        Assert.True(await Store.FailJobAsync(current, "fid failed", default));
        var job = (await Store.GetJobAsync(JobId.Parse("job"), default))!;
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("fid failed", job.Error);
    }

    [Fact]
    public async Task Finalization_FinaliserLeaves_ClaimableAtOnce()
    {
        await SubmitAsync("job", shards: 1);
        Assert.True(await Store.CompleteShardAsync((await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!, default));
        var leaving = (await Store.ClaimFinalizationAsync("n1", Ttl, default))!;

        await Store.LeaveAsync("n1", default);
        var current = await Store.ClaimFinalizationAsync("n2", Ttl, default);

        Assert.NotNull(current);
        Assert.False(await Store.CompleteJobAsync(leaving, Summary(leaving.Spec), default));
        Assert.True(await Store.CompleteJobAsync(current, Summary(current.Spec), default));
    }

    [Fact]
    public async Task Cancel_FinalizingJob_CompletionRejected()
    {
        await SubmitAsync("job", shards: 1);
        Assert.True(await Store.CompleteShardAsync((await Store.ClaimShardAsync("n1", NoWarm, Ttl, default))!, default));
        var final = (await Store.ClaimFinalizationAsync("n1", Ttl, default))!;

        Assert.True(await Store.CancelJobAsync(final.Job, default));

        Assert.False(await Store.CompleteJobAsync(final, Summary(final.Spec), default));
        Assert.Equal(JobState.Cancelled, (await Store.GetJobAsync(final.Job, default))!.State);
    }

    [Fact]
    public async Task Heartbeat_NodesOfDifferentAge_ListedWithinMaxAge()
    {
        var first = new NodeInfo("n1", "http://10.0.0.1:8080", 4, [KeyA]);
        await Store.HeartbeatAsync(first, default);
        var started = Clock.GetUtcNow();
        Clock.Advance(TimeSpan.FromSeconds(10));
        await Store.HeartbeatAsync(new NodeInfo("n2", "http://10.0.0.2:8080", 2, [KeyA, KeyB]), default);

        var recent = await Store.ListNodesAsync(TimeSpan.FromSeconds(5), default);
        Assert.Equal(["n2"], recent.Select(n => n.Node.NodeId));
        Assert.Equal([KeyA, KeyB], recent[0].Node.Warm);
        Assert.Equal(2, recent[0].Node.Capacity);

        Clock.Advance(TimeSpan.FromSeconds(1));
        await Store.HeartbeatAsync(first with { Warm = [KeyB], Capacity = 8 }, default);
        var all = await Store.ListNodesAsync(TimeSpan.FromSeconds(5), default);
        Assert.Equal(["n1", "n2"], all.Select(n => n.Node.NodeId));
        Assert.Equal(started, all[0].StartedAt);
        Assert.Equal(Clock.GetUtcNow(), all[0].LastHeartbeat);
        Assert.Equal([KeyB], all[0].Node.Warm);
        Assert.Equal(8, all[0].Node.Capacity);
        Assert.Equal("http://10.0.0.1:8080", all[0].Node.Address);
    }

    [Fact]
    public async Task Claim_16ConcurrentLoopsOver2000Shards_EachShardClaimedExactlyOnce()
    {
        for (var j = 0; j < 4; j++)
        {
            await SubmitAsync($"job-{j}", shards: 500, key: j % 2 == 0 ? KeyA : KeyB);
        }

        var claimed = new ConcurrentDictionary<ShardId, string>();
        var duplicates = 0;
        var lostCompletions = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(worker => Task.Run(async () =>
        {
            SamplerKey[] warm = worker % 3 == 0 ? [KeyA] : worker % 3 == 1 ? [KeyB] : [];
            while (await Store.ClaimShardAsync($"n{worker}", warm, Ttl, default) is { } lease)
            {
                if (!claimed.TryAdd(lease.Shard, lease.Owner))
                {
                    Interlocked.Increment(ref duplicates);
                }

                if (!await Store.CompleteShardAsync(lease, default))
                {
                    Interlocked.Increment(ref lostCompletions);
                }
            }
        })));

        Assert.Equal(0, duplicates);
        Assert.Equal(0, lostCompletions);
        Assert.Equal(2000, claimed.Count);
        var jobs = await Store.ListJobsAsync(10, default);
        Assert.All(jobs, j => Assert.Equal(500, j.ShardsDone));
    }

    protected static JobSpec Spec(int samples, int shardSize = 10) => new()
    {
        Kind = JobKind.Fid,
        Model = "gmm-demo",
        Sampler = SamplerSpec.FlowTurbo(1, 2, 1),
        Samples = samples,
        ShardSize = shardSize,
        BatchSize = 5,
        Seed = 42,
        Guidance = 1.5,
        ClassLabel = 3,
    };

    protected Task<SubmitResult> SubmitAsync(string id, int shards = 0, int samples = 0, int shardSize = 10, SamplerKey? key = null, int maxAttempts = JobSubmission.DefaultMaxAttempts) =>
        Store.SubmitAsync(new JobSubmission(JobId.Parse(id), Spec(samples > 0 ? samples : shards * shardSize, shardSize), key ?? KeyA, null, maxAttempts), default);

    protected async Task<List<ShardLease>> ClaimManyAsync(string node, int count)
    {
        var leases = new List<ShardLease>();
        for (var i = 0; i < count; i++)
        {
            leases.Add(await Store.ClaimShardAsync(node, NoWarm, Ttl, default) ?? throw new InvalidOperationException($"claim {i} found nothing"));
        }

        return leases;
    }

    /// <summary>Claims and completes until nothing is claimable; the number completed.</summary>
    protected async Task<int> DrainAsync(string node)
    {
        var done = 0;
        while (await Store.ClaimShardAsync(node, NoWarm, Ttl, default) is { } lease)
        {
            Assert.True(await Store.CompleteShardAsync(lease, default));
            done++;
        }

        return done;
    }

    protected static JobSummary Summary(JobSpec spec) => new()
    {
        Kind = spec.Kind,
        Spec = spec,
        Samples = spec.Samples,
        Nfe = new NfeCount(5, 2),
        Seconds = 1.25,
        SamplesGenerated = spec.Samples,
        SamplesPerSecond = spec.Samples / 1.25,
        Backend = "test",
        Shape = "3x8x8",
        Labels = LabelMode.Fixed,
        Fid = 0.123456789012345,
        Outputs = ["summary.json", "stats.npz"],
    };
}
