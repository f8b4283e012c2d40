using System.Runtime.CompilerServices;
using OrleansFlow.Formats;
using OrleansFlow.Sampling;
using OrleansFlow.Storage;

namespace OrleansFlow.Jobs;

/// <summary>
/// What a job kind writes: one result blob per shard (its existence marks the shard finished; it is
/// written last) and, once every shard is finished, the job's summary files.
/// </summary>
public abstract class JobOutput(ResolvedJob job, IBlobStore store, JobLayout layout)
{
    protected ResolvedJob Job => job;

    protected IBlobStore Store => store;

    protected JobLayout Layout => layout;

    protected bool Conditional => job.Labels.IsConditional;

    public static JobOutput For(ResolvedJob job, IBlobStore store, JobLayout layout) => job.Spec.Kind switch
    {
        JobKind.Fid => new FidOutput(job, store, layout),
        JobKind.Reflow => new ReflowOutput(job, store, layout),
        _ => new GenerateOutput(job, store, layout),
    };

    public string ShardResult(ShardRange shard) => layout.ShardResult(shard.Index, job.Spec.Kind);

    /// <summary>Generates the shard and writes its outputs; <paramref name="samplesDone"/> is told after each batch.</summary>
    public abstract Task RunShardAsync(ShardRange shard, Action<int> samplesDone, CancellationToken cancellationToken);

    /// <summary>Merges the shard results in shard order and writes the job's summary files.</summary>
    public abstract Task<JobSummary> FinalizeAsync(RunRecord run, CancellationToken cancellationToken);

    /// <summary>The shard's samples in micro-batches of the job's batch size, in index order.</summary>
    protected async IAsyncEnumerable<SampleBatch> BatchesAsync(ShardRange shard, Action<int> samplesDone, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var start = shard.Start; start < shard.End; start += job.Spec.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = (int)Math.Min(job.Spec.BatchSize, shard.End - start);
            var batch = await Task.Run(() => job.Generator.Generate(start, count), cancellationToken);
            yield return batch;
            samplesDone(count);
        }
    }

    /// <summary>Writes one PNG per sample; an existing image (from an interrupted run) is identical and kept.</summary>
    protected async Task WritePngsAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        var shape = batch.Shape;
        var channels = shape.Channels == 1 ? 1 : 3;
        var hwc = new byte[shape.Height * shape.Width * channels];
        for (var i = 0; i < batch.Count; i++)
        {
            ToImage(batch.Sample(i), hwc);
            var png = Png.Encode(hwc, shape.Width, shape.Height, channels);
            await store.TryCreateAsync(layout.Image(batch.Start + i), png, cancellationToken);
        }
    }

    /// <summary>A sample as uint8 HWC by the documented rule: gray stays gray, 3+ channels keep the first three.</summary>
    protected void ToImage(ReadOnlySpan<float> sample, Span<byte> hwc)
    {
        var shape = job.SampleShape;
        var channels = shape.Channels == 1 ? 1 : 3;
        ImageQuantizer.ToHwc(sample[..(channels * shape.Height * shape.Width)], channels, shape.Height, shape.Width, hwc);
    }

    protected JobSummary Summary(RunRecord run, NfeCount nfe, IReadOnlyList<string> outputs) => new()
    {
        Kind = job.Spec.Kind,
        Spec = job.Spec,
        Samples = job.Spec.Samples,
        Nfe = nfe,
        Seconds = run.Seconds,
        SamplesGenerated = run.SamplesGenerated,
        SamplesPerSecond = run.SamplesPerSecond,
        ResumedShards = run.ResumedShards,
        Backend = run.Backend,
        Shape = job.Model.Info.Shape.ToString(),
        Labels = job.Labels.Mode,
        ImageRule = ImageQuantizer.Rule,
        Outputs = [.. outputs.Select(layout.Relative)],
    };

    protected Task WriteNpyAsync(string name, NpyArray array, CancellationToken cancellationToken) =>
        store.TryCreateAsync(name, (stream, _) =>
        {
            Npy.Write(stream, array);
            return Task.CompletedTask;
        }, cancellationToken);

    protected async Task<IReadOnlyDictionary<string, NpyArray>> ReadNpzAsync(string name, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(name, cancellationToken);
        return NpzReader.Read(stream, name);
    }

    protected static long[] ToInt64(IEnumerable<int> labels) => [.. labels.Select(l => (long)l)];
}
