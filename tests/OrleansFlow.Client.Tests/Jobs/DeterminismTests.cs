using OrleansFlow.Testing;
using OrleansFlow.Client.Tests.Support;

namespace OrleansFlow.Client.Tests.Jobs;

/// <summary>DESIGN.md "Noise": results are identical whatever the batch size, shard size or worker count.</summary>
public sealed class DeterminismTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Reflow_DifferentShardBatchAndWorkers_IdenticalSamplesPerIndex()
    {
        (string Shard, string Batch, string Workers)[] plans = [("64", "64", "1"), ("10", "3", "2"), ("500", "7", "2"), ("1", "1", "2")];
        var outputs = new List<SortedDictionary<long, ReflowSample>>();
        foreach (var (shard, batch, workers) in plans)
        {
            var path = _temp.Combine($"reflow-{shard}-{batch}-{workers}");
            var result = await Orleansflow.RunAsync(
                "reflow", "--samples", "150", "--seed", "42", "--sampler", "flowturbo:h=1,p=2,r=1",
                "--shard-size", shard, "--batch-size", batch, "--workers", workers, "--out", path, "--quiet");
            Assert.True(result.ExitCode == 0, result.ToString());
            outputs.Add(ReflowData.Read(path));
        }

        Assert.Equal(Enumerable.Range(0, 150).Select(i => (long)i), outputs[0].Keys);
        Assert.All(outputs[0].Values, s => Assert.InRange(s.Label!.Value, 0, 9));
        for (var i = 1; i < plans.Length; i++)
        {
            ReflowData.AssertIdentical(outputs[0], outputs[i], $"shard/batch/workers {plans[i]} vs {plans[0]}");
        }
    }

    [Fact]
    public async Task Reflow_DifferentSeed_DifferentNoise()
    {
        var a = _temp.Combine("a");
        var b = _temp.Combine("b");
        Assert.Equal(0, (await Orleansflow.RunAsync("reflow", "--samples", "3", "--seed", "1", "--out", a, "--quiet")).ExitCode);
        Assert.Equal(0, (await Orleansflow.RunAsync("reflow", "--samples", "3", "--seed", "2", "--out", b, "--quiet")).ExitCode);

        Assert.NotEqual(ReflowData.Read(a)[0].X0, ReflowData.Read(b)[0].X0);
    }

    [Fact]
    public async Task Fid_DifferentWorkersAndBatchSizes_BitIdenticalStatistics()
    {
        (string Batch, string Workers)[] plans = [("100", "1"), ("7", "2"), ("33", "2")];
        var jobs = new List<JobDirectory>();
        foreach (var (batch, workers) in plans)
        {
            var job = new JobDirectory(_temp.Combine($"fid-{batch}-{workers}"));
            var result = await Orleansflow.RunAsync(
                "fid", "--samples", "600", "--shard-size", "100", "--batch-size", batch, "--workers", workers, "--seed", "9", "--out", job.Path, "--quiet");
            Assert.True(result.ExitCode == 0, result.ToString());
            jobs.Add(job);
        }

        for (var i = 1; i < jobs.Count; i++)
        {
            Assert.True(jobs[0].ReadBytes("stats.npz").AsSpan().SequenceEqual(jobs[i].ReadBytes("stats.npz")), $"stats.npz differs for batch/workers {plans[i]}");
            Assert.True(jobs[0].ReadBytes("labels.npy").AsSpan().SequenceEqual(jobs[i].ReadBytes("labels.npy")), $"labels.npy differs for batch/workers {plans[i]}");
            Assert.Equal(jobs[0].Summary.GetProperty("fid").GetDouble(), jobs[i].Summary.GetProperty("fid").GetDouble());
        }
    }
}
