using System.Diagnostics;
using OrleansFlow.Formats;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Storage;

namespace OrleansFlow.Jobs;

/// <summary>
/// FID and the rest of the evaluation suite: each shard stores its float64 feature moments (n, Σf,
/// Σffᵀ), its share of the other metrics (<see cref="ShardEvaluation"/>), labels and NFE in
/// <c>shards/NNNNN.npz</c>; the job merges them in shard order (so the statistics are bit-identical
/// however the shards were scheduled), writes <c>stats.npz</c>, the FID and the other metrics with
/// their spreads in <c>summary.json</c>.
/// </summary>
/// <remarks>Precision/recall's blocks run where <paramref name="manifold"/> sends them (this process's threads by default).</remarks>
internal sealed class FidOutput(ResolvedJob job, IBlobStore store, JobLayout layout, ManifoldBlockRunnerFactory? manifold = null) : JobOutput(job, store, layout)
{
    private const string LabelsKey = "labels";

    public override async Task RunShardAsync(ShardRange shard, Action<int> samplesDone, CancellationToken cancellationToken)
    {
        var evaluation = new ShardEvaluation(Job.Features, Job.ShardMetrics, shard.Count, InceptionScoreSums.DefaultSplitSize);
        var labels = new List<int>(shard.Count);
        var shape = Job.SampleShape;
        var rgb = Job.Spec.Images == ImageOutput.Npz ? new byte[(long)shard.Count * shape.Height * shape.Width * 3] : null;
        var nfe = default(NfeCount);
        await foreach (var batch in BatchesAsync(shard, samplesDone, cancellationToken))
        {
            evaluation.AddBatch(batch.Start, batch.Samples, batch.Count);
            labels.AddRange(batch.Labels);
            nfe = batch.Nfe;
            if (Job.Spec.Images == ImageOutput.Png)
            {
                await WritePngsAsync(batch, cancellationToken);
            }

            if (rgb is not null)
            {
                var size = shape.Height * shape.Width * 3;
                for (var i = 0; i < batch.Count; i++)
                {
                    var offset = (batch.Start - shard.Start + i) * size;
                    ImageQuantizer.ToRgbHwc(batch.Sample(i), shape.Channels, shape.Height, shape.Width, rgb.AsSpan((int)offset, size));
                }
            }
        }

        if (rgb is not null)
        {
            await WriteNpyAsync(Layout.ShardImages(shard.Index), NpyArray.FromBytes(rgb, shard.Count, shape.Height, shape.Width, 3), cancellationToken);
        }

        await Store.TryCreateAsync(ShardResult(shard), (stream, _) =>
        {
            using var writer = new NpzWriter(stream, leaveOpen: true);
            evaluation.WriteTo(writer);
            writer.Write(LabelsKey, ToInt64(labels), labels.Count);
            WriteNfe(writer, nfe);
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public override async Task<JobSummary> FinalizeAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var reference = Job.Reference!;
        var evaluation = new JobEvaluation(Job.Metrics, Job.Features.Layout, Job.Shards.Count, InceptionScoreSums.DefaultSplitSize);
        var labels = new List<long>(Job.Spec.Samples);
        var nfe = default(NfeCount);
        var reading = new Stopwatch();
        foreach (var shard in Job.Shards)
        {
            reading.Start();
            var arrays = await ReadNpzAsync(ShardResult(shard), cancellationToken);
            reading.Stop();
            evaluation.AddShard(shard.Index, arrays);
            labels.AddRange(arrays[LabelsKey].ToInt64Array());
            nfe = ReadNfe(arrays);
        }

        evaluation.AddReadSeconds(reading.Elapsed);
        var (generated, frechet) = evaluation.Fid(reference);
        var metrics = await Task.Run(() => evaluation.ComputeAsync(reference, Job.Spec.Seed, Job.Spec.Samples, manifold ?? LocalManifoldBlockRunner.Factory, cancellationToken), cancellationToken);
        var outputs = new List<string> { Layout.Statistics };
        await Store.TryCreateAsync(Layout.Statistics, (stream, _) =>
        {
            using var writer = new NpzWriter(stream, leaveOpen: true);
            writer.Write("mu", generated.Mu, generated.Dimension);
            writer.Write("sigma", generated.Sigma, generated.Dimension, generated.Dimension);
            return Task.CompletedTask;
        }, cancellationToken);

        if (Conditional)
        {
            await WriteNpyAsync(Layout.Labels, NpyArray.FromInt64s([.. labels], labels.Count), cancellationToken);
            outputs.Add(Layout.Labels);
        }

        if (Job.Spec.Images == ImageOutput.Npz)
        {
            await WriteSamplesNpzAsync(labels, cancellationToken);
            outputs.Add(Layout.SamplesNpz);
        }
        else if (Job.Spec.Images == ImageOutput.Png)
        {
            outputs.Add(Layout.Image(0)[..^"000000.png".Length] + "*.png");
        }

        return Summary(run, nfe, outputs) with
        {
            Fid = frechet.Fid,
            Reference = reference.Description,
            Evaluation = metrics,
            FrechetMethod = frechet.Method,
            FrechetEpsilonRetried = frechet.EpsilonRetried,
            Features = Job.Features.Name,
            FeaturePreprocessing = Job.Features.Preprocessing,
        };
    }

    /// <summary>
    /// The ADM evaluator's sample batch: <c>arr_0</c> N×H×W×3 uint8 (and <c>arr_1</c> labels when
    /// conditional, as ADM's <c>image_sample.py</c> saves them), streamed shard by shard.
    /// </summary>
    private Task WriteSamplesNpzAsync(List<long> labels, CancellationToken cancellationToken)
    {
        var shape = Job.SampleShape;
        return Store.TryCreateAsync(Layout.SamplesNpz, async (stream, ct) =>
        {
            using var writer = new NpzWriter(stream, leaveOpen: true);
            await using (var images = writer.BeginArray("arr_0", NpyDtype.UInt8, [Job.Spec.Samples, shape.Height, shape.Width, 3]))
            {
                foreach (var shard in Job.Shards)
                {
                    var name = Layout.ShardImages(shard.Index);
                    await using var source = await Store.OpenReadAsync(name, ct);
                    var array = Npy.Read(source, name);
                    await images.WriteAsync(array.Data, ct);
                }
            }

            if (Conditional)
            {
                writer.Write("arr_1", [.. labels], labels.Count);
            }
        }, cancellationToken);
    }
}
