using System.Diagnostics;
using OrleansFlow.Client.Tests.Support;
using OrleansFlow.Testing;

namespace OrleansFlow.Client.Tests.Jobs;

/// <summary>
/// What a newcomer copies from the CLI's messages works: the values it names are the ones it takes,
/// an unknown model says where names come from, and the resume hint after a --force run resumes.
/// </summary>
public sealed class NewcomerMessageTests
{
    [Fact]
    public async Task Fid_ImagesNotAllowed_OneLineNamingImagesAndItsLowercaseValues()
    {
        using var temp = new TemporaryDirectory();

        var result = await Orleansflow.RunAsync("fid", "--images", "jpg", "--samples", "4", "--out", temp.Combine("out"));

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("--images: 'jpg' is not allowed: use none, png or npz", line, StringComparison.Ordinal);
        Assert.DoesNotContain("OrleansFlow.", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("NPZ")]
    public async Task Fid_ImagesAllowedValue_Accepted(string value)
    {
        using var temp = new TemporaryDirectory();

        var result = await Orleansflow.RunAsync("fid", "--images", value, "--samples", "4", "--shard-size", "4", "--out", temp.Combine("out"), "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Generate_UnknownNameWithoutRegistry_SaysHowToListAndPushModels()
    {
        using var temp = new TemporaryDirectory();

        var result = await Orleansflow.RunAsync("generate", "--model", "digits-rf", "--samples", "4", "--out", temp.Combine("out"));

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("orleansflow: --model: unknown model 'digits-rf'", line, StringComparison.Ordinal);
        Assert.Contains("./orleansflow models list", line, StringComparison.Ordinal);
        Assert.Contains("models push", line, StringComparison.Ordinal);
        Assert.Contains("--registry", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FidHelp_ModelOption_NamesRegistryNames()
    {
        var result = await Orleansflow.RunAsync("fid", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("registry", result.Output, StringComparison.Ordinal);
        Assert.Contains("digits-rf", result.Output, StringComparison.Ordinal);
        Assert.Contains("none|png|npz", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fid_InterruptedForceRun_HintedCommandResumesIt()
    {
        using var temp = new TemporaryDirectory();
        var job = new JobDirectory(temp.Combine("job"));
        string[] command = ["fid", "--samples", "40000", "--shard-size", "500", "--batch-size", "50", "--workers", "1", "--quiet", "--out", job.Path];
        using var cancel = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            while (job.ShardFiles(".npz").Length < 2 && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(2);
            }

            await cancel.CancelAsync();
        });

        var interrupted = await Orleansflow.RunAsync([.. command, "--force"], cancel.Token);
        await watcher;
        var hint = Assert.Single(interrupted.ErrorLines);
        var resumed = await Orleansflow.RunAsync([.. command, "--resume"]);

        Assert.True(interrupted.ExitCode == 130, interrupted.ToString());
        Assert.Contains("run the same command with --resume in place of --force", hint, StringComparison.Ordinal);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.True(File.Exists(job.File("summary.json")));
    }
}
