using System.Runtime.CompilerServices;
using OrleansFlow.Formats;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Storage;

namespace OrleansFlow.Jobs;

/// <summary>
/// What a job kind writes: one result blob per shard (its existence marks the shard finished; it is
/// written last) and, once every shard is finished, the job's summary files.
/// </summary>
public abstract class JobOutput(ResolvedJob job, IBlobStore store, JobLayout layout)
{
    private const string NfeKey = "nfe";

    protected ResolvedJob Job => job;

    protected IBlobStore Store => store;

    protected JobLayout Layout => layout;

    protected bool Conditional => job.Labels.IsConditional;

    /// <summary>The output of <paramref name="job"/>'s kind; an fid job's precision/recall blocks run where <paramref name="manifold"/> sends them (default: this process's threads).</summary>
    public static JobOutput For(ResolvedJob job, IBlobStore store, JobLayout layout, ManifoldBlockRunnerFactory? manifold = null) => job.Spec.Kind switch
    {
        JobKind.Fid => new FidOutput(job, store, layout, manifold),
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
        foreach (var (start, count) in shard.Batches(job.Spec.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = await Task.Run(() => job.Generator.Generate(start, count, cancellationToken), cancellationToken);
            yield return batch;
            samplesDone(count);
        }
    }

    /// <summary>Writes one PNG per sample; an existing image (from an interrupted run) is identical and kept.</summary>
    protected async Task WritePngsAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            await store.TryCreateAsync(layout.Image(batch.Start + i), SampleImage.ToPng(batch.Sample(i), batch.Shape), cancellationToken);
        }
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

    /// <summary>Stores the evaluations per sample in a shard record, as <c>nfe</c> = [predictor, refiner].</summary>
    protected static void WriteNfe(NpzWriter writer, NfeCount nfe) => writer.Write(NfeKey, [nfe.Predictor, nfe.Refiner], 2);

    /// <summary>Reads what <see cref="WriteNfe"/> stored.</summary>
    protected static NfeCount ReadNfe(IReadOnlyDictionary<string, NpyArray> arrays)
    {
        var counts = arrays[NfeKey].ToInt64Array();
        return new NfeCount(counts[0], counts[1]);
    }

    protected static long[] ToInt64(IEnumerable<int> labels) => [.. labels.Select(l => (long)l)];
}
