using OrleansFlow.Testing;
using OrleansFlow.Client.Tests.Support;
using OrleansFlow.Formats;

namespace OrleansFlow.Client.Tests.Jobs;

public sealed class GenerateCommandTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Generate_GmmDemo_WritesPngPerSampleGridAndLabels()
    {
        var job = new JobDirectory(_temp.Combine("gen"));

        var result = await Orleansflow.RunAsync("generate", "--samples", "10", "--shard-size", "4", "--batch-size", "3", "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        var files = Directory.GetFiles(job.File("images")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i:D6}.png"), files);
        var distinct = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            var image = Png.Decode(job.ReadBytes($"images/{i:D6}.png"));
            Assert.Equal((8, 8, 3), (image.Width, image.Height, image.Channels));
            distinct.Add(Convert.ToHexString(image.Pixels));
        }

        Assert.Equal(10, distinct.Count);
        var grid = Png.Decode(job.ReadBytes("grid.png"));
        Assert.Equal(3, grid.Channels);
        Assert.True(grid.Width >= 4 * 8 && grid.Height >= 3 * 8, $"grid {grid.Width}×{grid.Height} cannot hold 10 samples of 8×8");
        var labels = job.ReadNpy("labels.npy");
        Assert.Equal([10], labels.Shape);
        Assert.All(labels.ToInt64Array(), label => Assert.InRange(label, 0, 9));
        Assert.True(labels.ToInt64Array().Distinct().Count() > 1, "labels drawn per sample are all equal");
        var summary = job.Summary;
        Assert.Equal("random", summary.GetProperty("labels").GetString());
        Assert.Equal(["summary.json", "grid.png", "images/*.png", "labels.npy"], summary.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Generate_WithoutQuiet_ReportsProgressOnStderrAndResultOnStdout()
    {
        var job = new JobDirectory(_temp.Combine("gen"));

        var result = await Orleansflow.RunAsync("generate", "--samples", "5", "--out", job.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("5/5 100 %", result.ErrorLines[^1]);
        Assert.Contains("5 samples, NFE 16 predictor + 0 refiner per sample", result.Output);
        Assert.Contains(Path.Combine(job.Path, "summary.json"), result.Output);
    }

    [Fact]
    public async Task Generate_Class3_EveryLabelIs3()
    {
        var job = new JobDirectory(_temp.Combine("gen"));

        var result = await Orleansflow.RunAsync("generate", "--samples", "9", "--shard-size", "4", "--class", "3", "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Enumerable.Repeat(3L, 9), job.ReadNpy("labels.npy").ToInt64Array());
        Assert.Equal("fixed", job.Summary.GetProperty("labels").GetString());
        Assert.Equal(3, job.Summary.GetProperty("spec").GetProperty("classLabel").GetInt32());
        Assert.Equal(9, Directory.GetFiles(job.File("images"), "*.png").Length);
    }

    [Fact]
    public async Task Generate_Class3_SamplesDifferFromClass4WithSameNoise()
    {
        var three = new JobDirectory(_temp.Combine("three"));
        var four = new JobDirectory(_temp.Combine("four"));
        Assert.Equal(0, (await Orleansflow.RunAsync("generate", "--samples", "2", "--class", "3", "--out", three.Path, "--quiet")).ExitCode);
        Assert.Equal(0, (await Orleansflow.RunAsync("generate", "--samples", "2", "--class", "4", "--out", four.Path, "--quiet")).ExitCode);

        Assert.NotEqual(three.ReadBytes("images/000000.png"), four.ReadBytes("images/000000.png"));
    }
}
