using OrleansFlow.Testing;
using OrleansFlow.Client.Tests.Support;

namespace OrleansFlow.Client.Tests.Jobs;

/// <summary>An existing output directory: kept unless <c>--force</c>; <c>--resume</c> only with the same spec.</summary>
public sealed class ExistingOutputTests : IDisposable
{
    private static readonly string[] Job = ["fid", "--samples", "30", "--shard-size", "8", "--sampler", "euler:steps=4", "--quiet"];

    private readonly TemporaryDirectory _temp = new();
    private readonly string _out;

    public ExistingOutputTests()
    {
        _out = _temp.Combine("out");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Job_ExistingOutputWithoutResumeOrForce_ExitsTwoAndChangesNothing()
    {
        await RunOnceAsync();
        var before = JobDirectory.Snapshot(_out);

        var result = await Orleansflow.RunAsync([.. Job, "--out", _out]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("--out", line);
        Assert.Contains("--resume", line);
        Assert.Equal(before, JobDirectory.Snapshot(_out));
    }

    [Fact]
    public async Task Job_ExistingUnrelatedFilesWithoutForce_ExitsTwoAndKeepsThem()
    {
        Directory.CreateDirectory(_out);
        await File.WriteAllTextAsync(Path.Combine(_out, "thesis.tex"), "precious");

        var result = await Orleansflow.RunAsync([.. Job, "--out", _out]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(["thesis.tex"], JobDirectory.Snapshot(_out).Keys);
    }

    [Theory]
    [InlineData("--samples", "31")]
    [InlineData("--sampler", "euler:steps=5")]
    [InlineData("--seed", "1")]
    [InlineData("--shard-size", "9")]
    [InlineData("--class", "2")]
    public async Task Job_ResumeWithDifferentSpec_ExitsTwoAndChangesNothing(string option, string value)
    {
        await RunOnceAsync(finish: false);
        var before = JobDirectory.Snapshot(_out);
        var changed = Job.ToList();
        var at = changed.IndexOf(option);
        if (at >= 0)
        {
            changed[at + 1] = value;
        }
        else
        {
            changed.AddRange([option, value]);
        }

        var result = await Orleansflow.RunAsync([.. changed, "--resume", "--out", _out]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--resume", Assert.Single(result.ErrorLines));
        Assert.Equal(before, JobDirectory.Snapshot(_out));
    }

    [Fact]
    public async Task Job_ResumeIntoAnotherKindsOutput_ExitsTwoAndChangesNothing()
    {
        await RunOnceAsync();
        var before = JobDirectory.Snapshot(_out);

        var result = await Orleansflow.RunAsync("reflow", "--samples", "30", "--shard-size", "8", "--sampler", "euler:steps=4", "--resume", "--out", _out, "--quiet");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--resume", Assert.Single(result.ErrorLines));
        Assert.Equal(before, JobDirectory.Snapshot(_out));
    }

    [Fact]
    public async Task Job_ResumeOfFinishedJob_ExitsZeroAndChangesNothing()
    {
        await RunOnceAsync();
        var before = JobDirectory.Snapshot(_out);

        var result = await Orleansflow.RunAsync([.. Job, "--resume", "--out", _out]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("FID ", result.Output);
        Assert.Equal(before, JobDirectory.Snapshot(_out));
    }

    [Fact]
    public async Task Job_ResumeAfterKillMidWrite_DropsStaleTemporaryFileAndFinishes()
    {
        await RunOnceAsync(finish: false);
        File.Delete(Path.Combine(_out, "shards", "00002.npz"));
        Directory.CreateDirectory(Path.Combine(_out, ".tmp"));
        await File.WriteAllTextAsync(Path.Combine(_out, ".tmp", "0123abcd.part"), "half a shard");

        var result = await Orleansflow.RunAsync([.. Job, "--resume", "--out", _out]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, new JobDirectory(_out).Summary.GetProperty("resumedShards").GetInt32());
        Assert.False(Directory.Exists(Path.Combine(_out, ".tmp")), "a stale temporary file survived the resume");
    }

    [Fact]
    public async Task Job_Force_ReplacesTheOutput()
    {
        await RunOnceAsync();
        await File.WriteAllTextAsync(Path.Combine(_out, "stray.txt"), "from before");

        var result = await Orleansflow.RunAsync("fid", "--samples", "20", "--shard-size", "5", "--sampler", "heun:steps=2", "--force", "--out", _out, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        var job = new JobDirectory(_out);
        Assert.False(File.Exists(job.File("stray.txt")), "--force kept a file of the replaced output");
        Assert.Equal("heun:steps=2", job.Summary.GetProperty("spec").GetProperty("sampler").GetString());
        Assert.Equal(20, job.Summary.GetProperty("samples").GetInt64());
        Assert.Equal(["00000.npz", "00001.npz", "00002.npz", "00003.npz"], job.ShardFiles(".npz"));
        Assert.Equal(0, job.Summary.GetProperty("resumedShards").GetInt32());
    }

    [Fact]
    public async Task Job_ResumeWithoutJobFile_ExitsTwoNamingResume()
    {
        Directory.CreateDirectory(Path.Combine(_out, "shards"));
        await File.WriteAllTextAsync(Path.Combine(_out, "shards", "00000.npz"), "not ours");

        var result = await Orleansflow.RunAsync([.. Job, "--resume", "--out", _out]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--resume", Assert.Single(result.ErrorLines));
        Assert.Equal(["shards/", "shards/00000.npz"], JobDirectory.Snapshot(_out).Keys);
    }

    [Fact]
    public async Task Job_EmptyExistingDirectory_IsUsedWithoutFlags()
    {
        Directory.CreateDirectory(_out);

        var result = await Orleansflow.RunAsync([.. Job, "--out", _out]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(_out, "summary.json")));
    }

    /// <summary>Runs <see cref="Job"/> into the output directory; unfinished = its summary removed, as if interrupted before finalising.</summary>
    private async Task RunOnceAsync(bool finish = true)
    {
        var result = await Orleansflow.RunAsync([.. Job, "--out", _out]);
        Assert.True(result.ExitCode == 0, result.ToString());
        if (!finish)
        {
            File.Delete(Path.Combine(_out, "summary.json"));
            File.Delete(Path.Combine(_out, "stats.npz"));
        }
    }
}
