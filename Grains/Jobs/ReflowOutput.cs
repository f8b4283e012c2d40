using System.Globalization;
using System.Security.Cryptography;
using OrleansFlow.Formats;
using OrleansFlow.Sampling;
using OrleansFlow.Storage;

namespace OrleansFlow.Jobs;

/// <summary>
/// Reflow coupling data (Rectified Flow / InstaFlow): each shard is a safetensors file with
/// <c>x0</c>, <c>x1</c> (float32, N×C×H×W), <c>seed</c> (int64 sample index) and <c>label</c> (int64,
/// when conditional); the job's <c>manifest.json</c> lists every shard with its count and sha256.
/// </summary>
internal sealed class ReflowOutput(ResolvedJob job, IBlobStore store, JobLayout layout) : JobOutput(job, store, layout)
{
    public override async Task RunShardAsync(ShardRange shard, Action<int> samplesDone, CancellationToken cancellationToken)
    {
        var elements = Job.Model.Info.Shape.Elements;
        var x0 = new float[shard.Count * elements];
        var x1 = new float[shard.Count * elements];
        var labels = new List<int>(shard.Count);
        var nfe = default(NfeCount);
        await foreach (var batch in BatchesAsync(shard, samplesDone, cancellationToken))
        {
            var offset = (int)(batch.Start - shard.Start) * elements;
            batch.Noise.CopyTo(x0, offset);
            batch.Samples.CopyTo(x1, offset);
            labels.AddRange(batch.Labels);
            nfe = batch.Nfe;
        }

        var shape = Job.Model.Info.Shape;
        long[] dims = [shard.Count, shape.Channels, shape.Height, shape.Width];
        var tensors = new List<SafetensorsTensor>
        {
            SafetensorsTensor.FromFloats("x0", x0, dims),
            SafetensorsTensor.FromFloats("x1", x1, dims),
            SafetensorsTensor.FromInt64s("seed", [.. Enumerable.Range(0, shard.Count).Select(i => shard.Start + i)], shard.Count),
        };
        if (Conditional)
        {
            tensors.Add(SafetensorsTensor.FromInt64s("label", ToInt64(labels), shard.Count));
        }

        var metadata = new Dictionary<string, string>
        {
            ["shard"] = shard.Index.ToString(CultureInfo.InvariantCulture),
            ["start"] = shard.Start.ToString(CultureInfo.InvariantCulture),
            ["count"] = shard.Count.ToString(CultureInfo.InvariantCulture),
            ["sampler"] = Job.Spec.Sampler.ToString(),
            ["model"] = Job.Spec.Model,
            ["nfe_predictor"] = nfe.Predictor.ToString(CultureInfo.InvariantCulture),
            ["nfe_refiner"] = nfe.Refiner.ToString(CultureInfo.InvariantCulture),
        };
        await Store.TryCreateAsync(ShardResult(shard), (stream, _) =>
        {
            Safetensors.Write(stream, tensors, metadata);
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public override async Task<JobSummary> FinalizeAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var entries = new List<ReflowShardEntry>(Job.Shards.Count);
        var nfe = default(NfeCount);
        foreach (var shard in Job.Shards)
        {
            var name = ShardResult(shard);
            var bytes = await Store.ReadAllBytesAsync(name, cancellationToken);
            var file = Safetensors.Read(bytes);
            var count = file.GetInt64s("seed").Length;
            if (count != shard.Count)
            {
                throw new InvalidDataException($"{name} holds {count} samples, expected {shard.Count}");
            }

            nfe = new NfeCount(long.Parse(file.Metadata["nfe_predictor"], CultureInfo.InvariantCulture), long.Parse(file.Metadata["nfe_refiner"], CultureInfo.InvariantCulture));
            entries.Add(new ReflowShardEntry(Layout.Relative(name), shard.Index, shard.Start, shard.Count, bytes.LongLength, Convert.ToHexStringLower(SHA256.HashData(bytes))));
        }

        var summary = Summary(run, nfe, [Layout.Manifest, .. entries.Select(e => Layout.Prefix + e.File)]);
        var manifest = new ReflowManifest(summary.Spec, Job.Model.Info.Shape.ToString(), Conditional, Job.Spec.Samples, entries.Count, nfe, entries);
        await Store.TryCreateAsync(Layout.Manifest, JobJson.Serialize(manifest), cancellationToken);
        return summary;
    }
}
