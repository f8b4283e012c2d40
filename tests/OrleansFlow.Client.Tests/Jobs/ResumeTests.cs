using OrleansFlow.Testing;
using OrleansFlow.Client.Tests.Support;
using System.Diagnostics;

namespace OrleansFlow.Client.Tests.Jobs;

/// <summary>
/// Interrupted runs — cancelled in-process, SIGTERM'd and SIGKILL'd as real processes — finished
/// with <c>--resume</c>: statistics bit-identical to an uninterrupted run, no shard lost or duplicated.
/// </summary>
public sealed class ResumeTests : IClassFixture<ResumeTests.Uninterrupted>
{
    // Large enough that the signal lands mid-job: a fast machine ran all of a 6,000-sample job
    // (30 shards) between the test seeing 2 finished shards and the child handling SIGTERM.
    private const int Samples = 60000;
    private const int ShardSize = 500;
    private const int ShardCount = Samples / ShardSize;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly string[] Job =
        ["fid", "--samples", $"{Samples}", "--shard-size", $"{ShardSize}", "--batch-size", "50", "--seed", "17", "--quiet"];

    private readonly Uninterrupted _uninterrupted;

    public ResumeTests(Uninterrupted uninterrupted)
    {
        _uninterrupted = uninterrupted;
    }

    [Fact]
    public async Task Fid_CancelledThenResumed_StatisticsIdenticalToUninterruptedRun()
    {
        using var temp = new TemporaryDirectory();
        var job = new JobDirectory(temp.Combine("job"));
        using var cancel = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            await WaitForShardsAsync(job, 2);
            await cancel.CancelAsync();
        });

        var interrupted = await Orleansflow.RunAsync([.. Job, "--workers", "1", "--out", job.Path], cancel.Token);
        await watcher;

        Assert.True(interrupted.ExitCode == 130, interrupted.ToString());
        var message = Assert.Single(interrupted.ErrorLines);
        Assert.Contains("interrupted", message);
        Assert.Contains("--resume", message);
        Assert.False(File.Exists(job.File("summary.json")));
        var finished = job.ShardFiles(".npz").Length;
        Assert.InRange(finished, 2, ShardCount - 1);
        Assert.Empty(TemporaryFiles(job));

        await AssertResumeFinishesAsync(job, finished);
    }

    [Fact]
    public async Task Fid_ProcessKilledThenResumed_StatisticsIdenticalAndNoShardDuplicated()
    {
        using var temp = new TemporaryDirectory();
        var job = new JobDirectory(temp.Combine("job"));
        using var process = Orleansflow.Start([.. Job, "--workers", "1", "--out", job.Path]);
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await WaitForShardsAsync(job, 3, process);
        }
        finally
        {
            // SIGKILL: no cancellation, no finally blocks, no cleanup in the child.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        Assert.False(File.Exists(job.File("summary.json")), "the job finished before it was killed: make it bigger");
        Assert.NotEqual(0, process.ExitCode);
        var finished = job.ShardFiles(".npz").Length;
        Assert.InRange(finished, 3, ShardCount - 1);
        _ = await errors;

        await AssertResumeFinishesAsync(job, finished);
    }

    [Fact]
    public async Task Fid_ProcessTerminatedThenResumed_ExitsInterruptedAndResumeCompletes()
    {
        using var temp = new TemporaryDirectory();
        var job = new JobDirectory(temp.Combine("job"));
        using var process = Orleansflow.Start([.. Job, "--workers", "1", "--out", job.Path]);
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await WaitForShardsAsync(job, 2, process);
            using (var kill = Process.Start("/bin/kill", ["-TERM", $"{process.Id}"]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(Patience);
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var error = await errors;
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {error}");
        Assert.Contains("interrupted", error);
        Assert.Empty(TemporaryFiles(job));
        var finished = job.ShardFiles(".npz").Length;
        Assert.InRange(finished, 2, ShardCount - 1);

        await AssertResumeFinishesAsync(job, finished);
    }

    private async Task AssertResumeFinishesAsync(JobDirectory job, int finished)
    {
        var resumed = await Orleansflow.RunAsync([.. Job, "--workers", "2", "--resume", "--out", job.Path]);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var summary = job.Summary;
        Assert.Equal(finished, summary.GetProperty("resumedShards").GetInt32());
        Assert.Equal(Samples - (finished * ShardSize), summary.GetProperty("samplesGenerated").GetInt64());
        Assert.Equal(Samples, summary.GetProperty("samples").GetInt64());
        Assert.True(_uninterrupted.Job.ReadBytes("stats.npz").AsSpan().SequenceEqual(job.ReadBytes("stats.npz")), "stats.npz differs from the uninterrupted run");
        Assert.True(_uninterrupted.Job.ReadBytes("labels.npy").AsSpan().SequenceEqual(job.ReadBytes("labels.npy")), "labels.npy differs from the uninterrupted run");
        Assert.Equal(_uninterrupted.Job.Summary.GetProperty("fid").GetDouble(), summary.GetProperty("fid").GetDouble());

        // Exactly one result per shard and nothing else: no duplicate, no stray temporary file.
        Assert.Equal(Enumerable.Range(0, ShardCount).Select(i => $"{i:D5}.npz"), job.ShardFiles(".npz"));
        var files = JobDirectory.Snapshot(job.Path).Keys.Where(name => !name.StartsWith("shards/", StringComparison.Ordinal));
        Assert.Equal(["job.json", "labels.npy", "stats.npz", "summary.json"], files);
        Assert.Equal(ShardCount, Directory.GetFiles(job.File("shards")).Length);
    }

    private static string[] TemporaryFiles(JobDirectory job) =>
        Directory.Exists(job.File(".tmp")) ? Directory.GetFiles(job.File(".tmp"), "*", SearchOption.AllDirectories) : [];

    /// <summary>Waits until the job has <paramref name="count"/> finished shards (or the process ended early).</summary>
    private static async Task WaitForShardsAsync(JobDirectory job, int count, Process? process = null)
    {
        var clock = Stopwatch.StartNew();
        while (job.ShardFiles(".npz").Length < count)
        {
            if (process is { HasExited: true })
            {
                Assert.Fail($"orleansflow exited with {process.ExitCode} before {count} shards were finished");
            }

            if (clock.Elapsed > Patience)
            {
                Assert.Fail($"no {count} finished shards in {job.Path} after {Patience}");
            }

            await Task.Delay(2);
        }
    }

    /// <summary>The job run once without interruption: what every resumed run must reproduce bit for bit.</summary>
    public sealed class Uninterrupted : IAsyncLifetime
    {
        private readonly TemporaryDirectory _temp = new();

        internal JobDirectory Job { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Job = new JobDirectory(_temp.Combine("uninterrupted"));
            var result = await Orleansflow.RunAsync([.. ResumeTests.Job, "--workers", "2", "--out", Job.Path]);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        public Task DisposeAsync()
        {
            _temp.Dispose();
            return Task.CompletedTask;
        }
    }
}
