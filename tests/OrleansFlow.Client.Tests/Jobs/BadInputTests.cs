using OrleansFlow.Testing;
using OrleansFlow.Client.Tests.Support;
using System.Text.RegularExpressions;
using OrleansFlow.Formats;

namespace OrleansFlow.Client.Tests.Jobs;

/// <summary>
/// Every bad option: exit 2, one line on stderr naming the option, nothing on stdout and nothing
/// written (the output directory does not exist and the scratch directory is unchanged).
/// </summary>
public sealed class BadInputTests : IClassFixture<BadInputTests.Inputs>
{
    private readonly Inputs _inputs;

    public BadInputTests(Inputs inputs)
    {
        _inputs = inputs;
    }

    public static TheoryData<string, string[]> Cases => new()
    {
        { "--model", ["fid", "--model", "stable-diffusion"] },
        { "--model", ["fid", "--model", "gmm:{dir}/missing.json"] },
        { "--model", ["fid", "--model", "gmm:{dir}/malformed.json"] },
        { "--sampler", ["fid", "--sampler", "dpm:steps=4"] },
        { "--sampler", ["fid", "--sampler", "heun:steps=x"] },
        { "--sampler", ["fid", "--sampler", "heun"] },
        { "--sampler", ["fid", "--sampler", "heun:steps=4,stpes=3"] },
        { "--sampler", ["fid", "--sampler", "heun:steps=0"] },
        { "--sampler", ["reflow", "--sampler", "flowturbo:h=0,p=0,r=0"] },
        { "--sampler", ["generate", "--sampler", "euler:steps=-2"] },
        { "--samples", ["fid", "--samples", "0"] },
        { "--samples", ["reflow", "--samples", "-5"] },
        { "--samples", ["fid", "--samples", "abc"] },
        { "--samples", ["fid", "--samples", "1.5"] },
        { "--samples", ["generate", "--samples", "99999999999"] },
        { "--shard-size", ["fid", "--shard-size", "0"] },
        { "--shard-size", ["reflow", "--shard-size", "-1"] },
        { "--batch-size", ["fid", "--batch-size", "0"] },
        { "--batch-size", ["generate", "--batch-size", "-3"] },
        { "--workers", ["fid", "--workers", "0"] },
        { "--workers", ["reflow", "--workers", "-2"] },
        { "--seed", ["fid", "--seed", "-1"] },
        { "--guidance", ["fid", "--model", "gmm:{dir}/uncond.json", "--guidance", "2"] },
        { "--guidance", ["fid", "--guidance", "-1"] },
        { "--guidance", ["fid", "--guidance", "NaN"] },
        { "--class", ["fid", "--model", "gmm:{dir}/uncond.json", "--class", "0"] },
        { "--class", ["fid", "--class", "10"] },
        { "--class", ["generate", "--class", "-1"] },
        { "--class", ["reflow", "--class", "2", "--unconditional"] },
        { "--reference", ["fid", "--reference", "{dir}/missing.npz"] },
        { "--reference", ["fid", "--reference", "{dir}/not-an.npz"] },
        { "--reference", ["fid", "--reference", "{dir}/dim5.npz"] },
        { "--reference", ["fid", "--reference", "{dir}/no-mu.npz"] },
        { "--reference", ["fid", "--reference", "{dir}"] },
        { "--images", ["fid", "--images", "gif"] },
        { "--resume", ["fid", "--resume", "--force"] },
        { "--out", ["fid", "--out", "{dir}/file.txt/out"] },
        { "--out", ["fid", "--out", "{dir}/file.txt"] },
        { "--out", ["reflow", "--out", "/proc/orleansflow-tests/out"] },
        { "--out", ["generate", "--out", ""] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Job_BadOption_ExitsTwoWithOneLineNamingItAndWritesNothing(string option, string[] args)
    {
        var arguments = args.Select(a => a.Replace("{dir}", _inputs.Directory.Path, StringComparison.Ordinal)).ToList();
        var outIndex = arguments.IndexOf("--out");
        var output = outIndex >= 0 ? arguments[outIndex + 1] : _inputs.Directory.Combine("out");
        if (outIndex < 0)
        {
            arguments.AddRange(["--out", output]);
        }

        if (!arguments.Contains("--samples"))
        {
            arguments.AddRange(["--samples", "4"]);
        }

        var before = JobDirectory.Snapshot(_inputs.Directory.Path);

        var result = await Orleansflow.RunAsync([.. arguments]);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("orleansflow: ", line);
        Assert.Matches($"(?<![\\w-]){Regex.Escape(option)}(?![\\w-])", line);
        Assert.Empty(result.Output);
        Assert.False(output.Length > 0 && Directory.Exists(output), $"{output} was created");
        Assert.Equal(before, JobDirectory.Snapshot(_inputs.Directory.Path));
    }

    [Fact]
    public async Task Job_BadOptionWithForce_LeavesExistingOutputUntouched()
    {
        using var temp = new TemporaryDirectory();
        var output = temp.Combine("out");
        Assert.Equal(0, (await Orleansflow.RunAsync("generate", "--samples", "3", "--out", output, "--quiet")).ExitCode);
        var before = JobDirectory.Snapshot(output);

        var result = await Orleansflow.RunAsync("generate", "--samples", "3", "--sampler", "heun:steps=0", "--force", "--out", output, "--quiet");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--sampler", Assert.Single(result.ErrorLines));
        Assert.Equal(before, JobDirectory.Snapshot(output));
    }

    /// <summary>The files the bad options point at, made once.</summary>
    public sealed class Inputs : IDisposable
    {
        public Inputs()
        {
            File.WriteAllText(Directory.Combine("uncond.json"),
                """{"shape":[1,2,2],"weights":[0.5,0.5],"means":[[1,1,1,1],[-1,-1,-1,-1]],"stds":[0.2,0.3]}""");
            File.WriteAllText(Directory.Combine("malformed.json"), """{"shape":[1,2,2],"weights":[0.5""");
            File.WriteAllText(Directory.Combine("not-an.npz"), "this is not a zip archive");
            File.WriteAllText(Directory.Combine("file.txt"), "a file, not a directory");
            using (var writer = new NpzWriter(Directory.Combine("dim5.npz")))
            {
                writer.Write("mu", new double[5], 5);
                writer.Write("sigma", new double[25], 5, 5);
            }

            using (var writer = new NpzWriter(Directory.Combine("no-mu.npz")))
            {
                writer.Write("sigma", new double[192 * 192], 192, 192);
            }
        }

        internal TemporaryDirectory Directory { get; } = new();

        public void Dispose() => Directory.Dispose();
    }
}
