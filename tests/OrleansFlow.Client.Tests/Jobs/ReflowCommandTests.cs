using OrleansFlow.Client.Tests.Support;
using OrleansFlow.Testing;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Tests.Jobs;

public sealed class ReflowCommandTests : IDisposable
{
    private const int Elements = 3 * 8 * 8;
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Reflow_GmmDemo_ManifestCountsAndHashesMatchShards()
    {
        var job = new JobDirectory(_temp.Combine("reflow"));

        var result = await Orleansflow.RunAsync("reflow", "--samples", "50", "--shard-size", "16", "--batch-size", "6", "--seed", "5", "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        var manifest = job.ReadJson("manifest.json");
        Assert.Equal(50, manifest.GetProperty("samples").GetInt64());
        Assert.Equal(4, manifest.GetProperty("shardCount").GetInt32());
        Assert.True(manifest.GetProperty("conditional").GetBoolean());
        Assert.Equal("3x8x8", manifest.GetProperty("shape").GetString());
        Assert.Equal(SamplerSpec.Parse("heun:steps=8").PredictorNfe, manifest.GetProperty("nfe").GetProperty("predictor").GetInt64());
        var shards = manifest.GetProperty("shards").EnumerateArray().ToArray();
        Assert.Equal([0, 16, 32, 48], shards.Select(s => s.GetProperty("start").GetInt64()));
        Assert.Equal([16, 16, 16, 2], shards.Select(s => s.GetProperty("count").GetInt32()));
        foreach (var shard in shards)
        {
            var bytes = job.ReadBytes(shard.GetProperty("file").GetString()!);
            Assert.Equal(bytes.LongLength, shard.GetProperty("bytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), shard.GetProperty("sha256").GetString());
        }

        Assert.Equal(["00000.safetensors", "00001.safetensors", "00002.safetensors", "00003.safetensors"], job.ShardFiles(".safetensors"));
        Assert.Equal(
            ["summary.json", "manifest.json", "shards/00000.safetensors", "shards/00001.safetensors", "shards/00002.safetensors", "shards/00003.safetensors"],
            job.Summary.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()));
    }

    [NumpyFact]
    public async Task Reflow_Shards_ReadWithPlainNumpyHoldTheJobsNoiseAsX0()
    {
        var coarse = new JobDirectory(_temp.Combine("coarse"));
        var fine = new JobDirectory(_temp.Combine("fine"));
        Assert.Equal(0, (await Orleansflow.RunAsync("reflow", "--samples", "50", "--shard-size", "16", "--seed", "5", "--out", coarse.Path, "--quiet")).ExitCode);
        Assert.Equal(0, (await Orleansflow.RunAsync("reflow", "--samples", "50", "--shard-size", "7", "--seed", "5", "--out", fine.Path, "--quiet")).ExitCode);

        // safetensors parsed by hand: 8-byte little-endian header length, JSON header, then the raw data.
        var checks = await DebianPython.RunJsonAsync(
            """
            import glob, json, struct, sys, numpy as np
            DT = {'F32': np.float32, 'I64': np.int64}
            def load(d):
                out = {}
                for path in sorted(glob.glob(d + '/shards/*.safetensors')):
                    raw = open(path, 'rb').read()
                    (n,) = struct.unpack('<Q', raw[:8])
                    header = json.loads(raw[8:8 + n]); data = raw[8 + n:]
                    tensors = {}
                    for name, t in header.items():
                        if name == '__metadata__': continue
                        b, e = t['data_offsets']
                        tensors[name] = (t['dtype'], t['shape'], np.frombuffer(data[b:e], dtype=DT[t['dtype']]).reshape(t['shape']))
                    out[path] = tensors
                return out
            coarse, fine = load(sys.argv[1]), load(sys.argv[2])
            info = []
            for tensors in coarse.values():
                info.append({k: [v[0], v[1]] for k, v in tensors.items()})
            def concat(shards, key):
                seeds = np.concatenate([t['seed'][2] for t in shards.values()])
                values = np.concatenate([t[key][2] for t in shards.values()])
                return values[np.argsort(seeds, kind='stable')]
            seeds = np.concatenate([t['seed'][2] for t in coarse.values()])
            x0 = concat(coarse, 'x0'); x1 = concat(coarse, 'x1'); label = concat(coarse, 'label')
            print(json.dumps({
                'info': info,
                'seedsAreIndices': bool(np.array_equal(np.sort(seeds), np.arange(50))),
                'seedsInOrder': bool(np.array_equal(seeds, np.arange(50))),
                'x0Same': bool(np.array_equal(x0.view(np.uint32), concat(fine, 'x0').view(np.uint32))),
                'x1Same': bool(np.array_equal(x1.view(np.uint32), concat(fine, 'x1').view(np.uint32))),
                'labelSame': bool(np.array_equal(label, concat(fine, 'label'))),
                'labelMin': int(label.min()), 'labelMax': int(label.max()),
                'x0Mean': float(x0.mean()), 'x0Std': float(x0.std()),
                'x1Finite': bool(np.isfinite(x1).all()), 'x1DiffersFromX0': bool((x1 != x0).mean() > 0.99),
                'x0Sample7': x0[7].reshape(-1)[:4].astype(float).tolist(),
            }))
            """,
            coarse.Path,
            fine.Path);

        foreach (var shard in checks.GetProperty("info").EnumerateArray())
        {
            var count = shard.GetProperty("seed")[1][0].GetInt32();
            Assert.Equal($"[\"F32\",[{count},3,8,8]]", shard.GetProperty("x0").GetRawText().Replace(" ", string.Empty));
            Assert.Equal($"[\"F32\",[{count},3,8,8]]", shard.GetProperty("x1").GetRawText().Replace(" ", string.Empty));
            Assert.Equal($"[\"I64\",[{count}]]", shard.GetProperty("seed").GetRawText().Replace(" ", string.Empty));
            Assert.Equal($"[\"I64\",[{count}]]", shard.GetProperty("label").GetRawText().Replace(" ", string.Empty));
        }

        Assert.True(checks.GetProperty("seedsAreIndices").GetBoolean(), "seed is not the sample indices 0..49");
        Assert.True(checks.GetProperty("seedsInOrder").GetBoolean(), "shards do not hold contiguous index ranges in order");
        Assert.True(checks.GetProperty("x0Same").GetBoolean(), "x0 of a sample depends on the shard size");
        Assert.True(checks.GetProperty("x1Same").GetBoolean(), "x1 of a sample depends on the shard size");
        Assert.True(checks.GetProperty("labelSame").GetBoolean(), "the label of a sample depends on the shard size");
        Assert.InRange(checks.GetProperty("labelMin").GetInt32(), 0, 9);
        Assert.InRange(checks.GetProperty("labelMax").GetInt32(), 0, 9);
        Assert.InRange(checks.GetProperty("x0Mean").GetDouble(), -0.05, 0.05);
        Assert.InRange(checks.GetProperty("x0Std").GetDouble(), 0.95, 1.05);
        Assert.True(checks.GetProperty("x1Finite").GetBoolean());
        Assert.True(checks.GetProperty("x1DiffersFromX0").GetBoolean());

        // x0 is the job's noise: sample i's noise drawn from (seed, i) alone.
        var noise = new float[Elements];
        new SampleNoise(5).Fill(7, noise);
        Assert.Equal(noise[..4].Select(v => (double)v), checks.GetProperty("x0Sample7").EnumerateArray().Select(e => e.GetDouble()));
        var stored = ReflowData.Read(fine.Path);
        Assert.True(stored[7].X0.AsSpan().SequenceEqual(MemoryMarshal.AsBytes(noise.AsSpan())), "x0 of sample 7 is not SampleNoise(seed 5).Fill(7)");
    }

    [Fact]
    public async Task Reflow_UnconditionalMixture_HasNoLabelTensor()
    {
        var mixture = _temp.Combine("uncond.json");
        await File.WriteAllTextAsync(mixture, """{"shape":[1,2,2],"weights":[0.5,0.5],"means":[[1,1,1,1],[-1,-1,-1,-1]],"stds":[0.2,0.3]}""");
        var job = new JobDirectory(_temp.Combine("reflow"));

        var result = await Orleansflow.RunAsync("reflow", "--model", "gmm:" + mixture, "--samples", "9", "--shard-size", "4", "--out", job.Path, "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(job.ReadJson("manifest.json").GetProperty("conditional").GetBoolean());
        var samples = ReflowData.Read(job.Path);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), samples.Keys);
        Assert.All(samples.Values, s => Assert.Null(s.Label));
        Assert.All(samples.Values, s => Assert.Equal(4 * sizeof(float), s.X0.Length));
    }
}
