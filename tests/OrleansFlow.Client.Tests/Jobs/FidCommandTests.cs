using OrleansFlow.Client.Tests.Support;
using OrleansFlow.Testing;
using System.Text.Json;
using OrleansFlow.Formats;
using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Tests.Jobs;

public sealed class FidCommandTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Fid_GmmDemoHeun_WritesSummaryAndStatisticsWithSmallFid()
    {
        var job = new JobDirectory(_temp.Combine("fid"));

        var result = await Orleansflow.RunAsync(
            "fid", "--samples", "2000", "--shard-size", "500", "--sampler", "heun:steps=8", "--seed", "3", "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Error);
        Assert.Contains("FID ", result.Output);
        var summary = job.Summary;
        var expected = SamplerSpec.Parse("heun:steps=8");
        Assert.Equal("fid", summary.GetProperty("kind").GetString());
        Assert.Equal(2000, summary.GetProperty("samples").GetInt64());
        Assert.Equal(expected.PredictorNfe, summary.GetProperty("nfe").GetProperty("predictor").GetInt64());
        Assert.Equal(expected.RefinerNfe, summary.GetProperty("nfe").GetProperty("refiner").GetInt64());
        Assert.True(summary.GetProperty("seconds").GetDouble() > 0);
        Assert.True(summary.GetProperty("samplesPerSecond").GetDouble() > 0);
        Assert.Equal("heun:steps=8", summary.GetProperty("spec").GetProperty("sampler").GetString());
        Assert.Equal(3, summary.GetProperty("spec").GetProperty("seed").GetInt64());
        Assert.Equal(500, summary.GetProperty("spec").GetProperty("shardSize").GetInt32());
        Assert.Equal("exact moments of gmm-demo (classes uniform)", summary.GetProperty("reference").GetString());
        Assert.Contains("pytorch-fid", summary.GetProperty("frechetMethod").GetString());
        Assert.Equal(0, summary.GetProperty("resumedShards").GetInt32());
        Assert.Equal(["summary.json", "stats.npz", "labels.npy"], summary.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()));

        // 2,000 samples of 192 dimensions carry a finite-sample FID bias of about 0.37; a biased sampler shows far above it.
        var fid = summary.GetProperty("fid").GetDouble();
        Assert.InRange(fid, 0, 0.6);
        Assert.Contains(fid.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), result.Output);

        var stats = job.ReadNpz("stats.npz");
        Assert.Equal([192], stats["mu"].Shape);
        Assert.Equal([192, 192], stats["sigma"].Shape);
        Assert.Equal("<f8", stats["sigma"].Dtype);
        var labels = job.ReadNpz("shards/00000.npz")["labels"].ToInt64Array();
        Assert.Equal(500, labels.Length);
        Assert.All(labels, label => Assert.InRange(label, 0, 9));
        Assert.Equal(["00000.npz", "00001.npz", "00002.npz", "00003.npz"], job.ShardFiles(".npz"));
        Assert.False(Directory.Exists(job.File(".tmp")), "the temporary folder is left behind after a finished run");
    }

    [Fact]
    public async Task Fid_CoarserSamplers_ReportLargerFid()
    {
        // On the analytic mixture the sampler's truncation error is all FID measures: it must fall as steps rise.
        string[] samplers = ["euler:steps=1", "euler:steps=2", "euler:steps=4", "heun:steps=8"];
        var fids = new List<double>();
        foreach (var sampler in samplers)
        {
            var job = new JobDirectory(_temp.Combine(sampler.Replace(':', '-')));
            var result = await Orleansflow.RunAsync("fid", "--samples", "2000", "--shard-size", "1000", "--sampler", sampler, "--out", job.Path, "--quiet");
            Assert.True(result.ExitCode == 0, result.ToString());
            fids.Add(job.Summary.GetProperty("fid").GetDouble());
        }

        for (var i = 1; i < fids.Count; i++)
        {
            Assert.True(fids[i] < fids[i - 1], $"FID of {samplers[i]} ({fids[i]}) is not below that of {samplers[i - 1]} ({fids[i - 1]})");
        }

        Assert.True(fids[0] > 10 * fids[^1], $"euler:steps=1 FID {fids[0]} is not far above heun:steps=8 FID {fids[^1]}");
    }

    [Theory]
    [InlineData("euler:steps=3")]
    [InlineData("heun:steps=2")]
    [InlineData("onestep")]
    [InlineData("flowturbo:h=1,p=2,r=1")]
    [InlineData("flowturbo:h=0,p=2,r=1")]
    [InlineData("flowturbo:h=2,p=0,r=0")]
    public async Task Fid_AnySampler_ReportsNfeOfSamplerSpecFormula(string sampler)
    {
        var job = new JobDirectory(_temp.Combine("nfe"));

        var result = await Orleansflow.RunAsync("fid", "--samples", "12", "--shard-size", "5", "--sampler", sampler, "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        var spec = SamplerSpec.Parse(sampler);
        var nfe = job.Summary.GetProperty("nfe");
        Assert.Equal(spec.PredictorNfe, nfe.GetProperty("predictor").GetInt64());
        Assert.Equal(spec.RefinerNfe, nfe.GetProperty("refiner").GetInt64());
        Assert.Contains($"NFE {spec.PredictorNfe} predictor + {spec.RefinerNfe} refiner", result.Output);
    }

    [Fact]
    public async Task Fid_ReferenceFile_ComparesAgainstItAndRecordsIt()
    {
        // Its own statistics as the reference: the Fréchet distance of a distribution to itself is ~0.
        var first = new JobDirectory(_temp.Combine("first"));
        Assert.Equal(0, (await Orleansflow.RunAsync("fid", "--samples", "300", "--shard-size", "100", "--out", first.Path, "--quiet")).ExitCode);
        var second = new JobDirectory(_temp.Combine("second"));

        var result = await Orleansflow.RunAsync(
            "fid", "--samples", "300", "--shard-size", "100", "--reference", first.File("stats.npz"), "--out", second.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.InRange(second.Summary.GetProperty("fid").GetDouble(), -1e-6, 1e-6);
        Assert.Equal(Path.GetFullPath(first.File("stats.npz")), second.Summary.GetProperty("reference").GetString());
    }

    [NumpyFact]
    public async Task Fid_ImagesNpz_WritesAdmSampleBatchReadableByNumpy()
    {
        var job = new JobDirectory(_temp.Combine("npz"));

        var result = await Orleansflow.RunAsync(
            "fid", "--samples", "40", "--shard-size", "16", "--batch-size", "5", "--images", "npz", "--seed", "11", "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("samples.npz", job.Summary.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()));
        var checks = await DebianPython.RunJsonAsync(
            """
            import json, sys, numpy as np
            d = sys.argv[1]
            with np.load(d + '/samples.npz') as z:
                keys = sorted(z.files); a = z['arr_0']; l = z['arr_1']
            labels = np.load(d + '/labels.npy')
            print(json.dumps({'keys': keys, 'shape': list(a.shape), 'dtype': str(a.dtype), 'labelShape': list(l.shape),
                'labelKind': l.dtype.kind, 'labelsMatch': bool(np.array_equal(l, labels)), 'labelMin': int(l.min()), 'labelMax': int(l.max()),
                'distinct': int(len(np.unique(a.reshape(len(a), -1), axis=0))), 'min': int(a.min()), 'max': int(a.max())}))
            """,
            job.Path);

        Assert.Equal(["arr_0", "arr_1"], checks.GetProperty("keys").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([40, 8, 8, 3], checks.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("uint8", checks.GetProperty("dtype").GetString());
        Assert.Equal([40], checks.GetProperty("labelShape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("i", checks.GetProperty("labelKind").GetString());
        Assert.True(checks.GetProperty("labelsMatch").GetBoolean(), "arr_1 differs from labels.npy");
        Assert.InRange(checks.GetProperty("labelMin").GetInt32(), 0, 9);
        Assert.InRange(checks.GetProperty("labelMax").GetInt32(), 0, 9);
        Assert.Equal(40, checks.GetProperty("distinct").GetInt32());
        Assert.True(checks.GetProperty("max").GetInt32() > checks.GetProperty("min").GetInt32());

        // The same samples as PNGs (the generate command, same seed): pixel for pixel what arr_0 holds.
        var generated = new JobDirectory(_temp.Combine("png"));
        Assert.Equal(0, (await Orleansflow.RunAsync("generate", "--samples", "40", "--shard-size", "7", "--seed", "11", "--out", generated.Path, "--quiet")).ExitCode);
        var images = job.ReadNpz("samples.npz")["arr_0"].ToByteArray();
        for (var i = 0; i < 40; i++)
        {
            var png = Png.Decode(generated.ReadBytes($"images/{i:D6}.png"));
            Assert.True(images.AsSpan(i * 192, 192).SequenceEqual(png.Pixels), $"sample {i}: arr_0 differs from generate's PNG");
        }
    }

    [Fact]
    public async Task Fid_ImagesPng_WritesOnePngPerSample()
    {
        var job = new JobDirectory(_temp.Combine("png"));

        var result = await Orleansflow.RunAsync("fid", "--samples", "13", "--shard-size", "4", "--images", "png", "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        var files = Directory.GetFiles(job.File("images")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(0, 13).Select(i => $"{i:D6}.png"), files);
        var first = Png.Decode(job.ReadBytes("images/000000.png"));
        Assert.Equal((8, 8, 3), (first.Width, first.Height, first.Channels));
        Assert.Contains("images/*.png", job.Summary.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Number, job.Summary.GetProperty("fid").ValueKind);
    }
}
