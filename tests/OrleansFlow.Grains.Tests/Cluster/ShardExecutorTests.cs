using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansFlow.Actors;
using OrleansFlow.Cluster;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Storage;

namespace OrleansFlow.Grains.Tests.Cluster;

public sealed class ShardExecutorTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "orleansflow-executor-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryClusterStore _store = new();
    private readonly SamplerDirectory _samplers = new(new SamplerDirectoryOptions());

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Run_LeaseHeld_WritesResultAndCompletes()
    {
        var (executor, lease) = await ClaimAsync(Spec("euler:steps=2"));

        var outcome = await executor.RunAsync(lease, Layout, _ => { }, default);

        Assert.Equal(ShardOutcome.Completed, outcome);
        Assert.True(await Blobs.ExistsAsync(Layout.ShardResult(0, JobKind.Fid), default));
        Assert.Equal(1, (await _store.GetJobAsync(lease.Shard.Job, default))!.ShardsDone);
    }

    [Fact]
    public async Task Run_JobCancelledMidShard_StopsWithinARenewalAndWritesNothing()
    {
        // A slow shard (4000 Heun steps) and a 300 ms lease renewed every 100 ms.
        var (executor, lease) = await ClaimAsync(Spec("heun:steps=4000"), TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        var run = executor.RunAsync(lease, Layout, _ => { }, default);
        await Task.Delay(200);
        await _store.CancelJobAsync(lease.Shard.Job, default);
        var outcome = await run;

        Assert.Equal(ShardOutcome.LeaseLost, outcome);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.False(await Blobs.ExistsAsync(Layout.ShardResult(0, JobKind.Fid), default));
    }

    [Fact]
    public async Task Run_NodeStopping_ReleasesWithoutCountingTheAttempt()
    {
        var (executor, lease) = await ClaimAsync(Spec("heun:steps=4000"));
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var outcome = await executor.RunAsync(lease, Layout, _ => { }, stopping.Token);

        Assert.Equal(ShardOutcome.Released, outcome);
        var again = await _store.ClaimShardAsync("other", [], TimeSpan.FromSeconds(30), default);
        Assert.NotNull(again);
        Assert.Equal(1, again.Attempt);
        Assert.True(again.Token > lease.Token);
    }

    [Fact]
    public async Task Run_ShardThrowsEveryTime_JobFailsAfterTheAttemptBoundWithTheError()
    {
        var options = Options with { InjectedFault = _ => new InvalidOperationException("boom") };
        var id = await SubmitAsync(Spec("euler:steps=1"), maxAttempts: 2);
        var executor = Executor(options);

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var lease = await _store.ClaimShardAsync("node", [], options.LeaseTtl, default);
            Assert.Equal(ShardOutcome.Failed, await executor.RunAsync(lease!, Layout, _ => { }, default));
        }

        var job = await _store.GetJobAsync(id, default);
        Assert.Equal(JobState.Failed, job!.State);
        Assert.Contains("boom", job.Error);
        Assert.Null(await _store.ClaimShardAsync("node", [], options.LeaseTtl, default));
    }

    [Fact]
    public async Task Run_ResultAlreadyWritten_CompletesWithoutGenerating()
    {
        var (executor, lease) = await ClaimAsync(Spec("euler:steps=2"));
        await executor.RunAsync(lease, Layout, _ => { }, default);
        var id = await SubmitAsync(Spec("euler:steps=2"), maxAttempts: 1);
        var second = (await _store.ClaimShardAsync("node", [], Options.LeaseTtl, default))!;
        var generated = 0;

        var outcome = await executor.RunAsync(second, Layout, n => generated += n, default);

        Assert.Equal(ShardOutcome.AlreadyWritten, outcome);
        Assert.Equal(0, generated);
        Assert.Equal(1, (await _store.GetJobAsync(id, default))!.ShardsDone);
    }

    private static WorkerOptions Options { get; } = new() { NodeId = "node", Workers = 1, LeaseTtl = TimeSpan.FromSeconds(30) };

    private static JobLayout Layout { get; } = new();

    private LocalDirectoryBlobStore Blobs => new(_root);

    private static JobSpec Spec(string sampler) => new()
    {
        Kind = JobKind.Fid,
        Model = GmmDemo.Name,
        Sampler = SamplerSpec.Parse(sampler),
        Samples = 200,
        ShardSize = 200,
        BatchSize = 50,
    };

    private ShardExecutor Executor(WorkerOptions options) =>
        new(_store, Blobs, _samplers, options, NullLogger<ShardExecutor>.Instance);

    private async Task<JobId> SubmitAsync(JobSpec spec, int maxAttempts)
    {
        var id = JobId.New();
        await _store.SubmitAsync(new JobSubmission(id, spec, GmmDemo.Create().Info.Key, null, maxAttempts), default);
        return id;
    }

    private async Task<(ShardExecutor Executor, ShardLease Lease)> ClaimAsync(JobSpec spec, TimeSpan? ttl = null)
    {
        var options = Options with { LeaseTtl = ttl ?? Options.LeaseTtl };
        await SubmitAsync(spec, maxAttempts: 3);
        var lease = await _store.ClaimShardAsync("node", [], options.LeaseTtl, default);
        return (Executor(options), lease!);
    }
}
