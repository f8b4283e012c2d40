using OrleansFlow.Formats;
using OrleansFlow.Sampling;
using OrleansFlow.Storage;

namespace OrleansFlow.Jobs;

/// <summary>
/// Generation: one PNG per sample (<c>images/NNNNNN.png</c>), a shard record with labels and NFE, and
/// a preview <c>grid.png</c> of the first samples.
/// </summary>
internal sealed class GenerateOutput(ResolvedJob job, IBlobStore store, JobLayout layout) : JobOutput(job, store, layout)
{
    private const int GridSamples = 64;
    private const int GridMinimumSide = 256;

    public override async Task RunShardAsync(ShardRange shard, Action<int> samplesDone, CancellationToken cancellationToken)
    {
        var labels = new List<int>(shard.Count);
        var nfe = default(NfeCount);
        await foreach (var batch in BatchesAsync(shard, samplesDone, cancellationToken))
        {
            await WritePngsAsync(batch, cancellationToken);
            labels.AddRange(batch.Labels);
            nfe = batch.Nfe;
        }

        await Store.TryCreateAsync(ShardResult(shard), (stream, _) =>
        {
            using var writer = new NpzWriter(stream, leaveOpen: true);
            writer.Write("labels", ToInt64(labels), labels.Count);
            WriteNfe(writer, nfe);
            return Task.CompletedTask;
        }, cancellationToken);
    }

    public override async Task<JobSummary> FinalizeAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var labels = new List<long>(Job.Spec.Samples);
        var nfe = default(NfeCount);
        foreach (var shard in Job.Shards)
        {
            var arrays = await ReadNpzAsync(ShardResult(shard), cancellationToken);
            labels.AddRange(arrays["labels"].ToInt64Array());
            nfe = ReadNfe(arrays);
        }

        await WriteGridAsync(cancellationToken);
        var outputs = new List<string> { Layout.Grid, Layout.Image(0)[..^"000000.png".Length] + "*.png" };
        if (Conditional)
        {
            await WriteNpyAsync(Layout.Labels, NpyArray.FromInt64s([.. labels], labels.Count), cancellationToken);
            outputs.Add(Layout.Labels);
        }

        return Summary(run, nfe, outputs);
    }

    private async Task WriteGridAsync(CancellationToken cancellationToken)
    {
        var count = (int)Math.Min(GridSamples, Job.Spec.Samples);
        var images = new List<byte[]>(count);
        PngImage? first = null;
        for (var i = 0; i < count; i++)
        {
            var image = Png.Decode(await Store.ReadAllBytesAsync(Layout.Image(i), cancellationToken));
            first ??= image;
            images.Add(image.Pixels);
        }

        var columns = (int)Math.Ceiling(Math.Sqrt(count));
        // Small samples (8×8) are enlarged by whole pixels so the preview can be looked at.
        var scale = Math.Max(1, GridMinimumSide / (columns * first!.Width));
        var (hwc, width, height) = ImageGrid.Compose(images, first.Width, first.Height, first.Channels, columns, padding: 2, scale: scale);
        await Store.TryCreateAsync(Layout.Grid, Png.Encode(hwc, width, height, first.Channels), cancellationToken);
    }
}
