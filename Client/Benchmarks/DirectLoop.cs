using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>
/// A job's samples generated without the runner: the same generator, shards and micro-batches, but no
/// storage, no task per batch, no progress. <c>workers</c> shards run at once; with 1 the loop is
/// sequential, though the CPU backend still spreads each batch over the cores.
/// </summary>
internal static class DirectLoop
{
    /// <summary>Hands every batch to <paramref name="consume"/> on the thread that generated it.</summary>
    public static void Run(ResolvedJob job, int workers, Action<ShardRange, SampleBatch> consume, CancellationToken cancellationToken)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken };
        Parallel.ForEach(job.Shards, options, shard =>
        {
            foreach (var (start, count) in shard.Batches(job.Spec.BatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                consume(shard, job.Generator.Generate(start, count));
            }
        });
    }

    /// <summary>
    /// The FID job's statistics as <c>FidOutput</c> computes them: feature moments per shard, merged in
    /// shard order, so the result equals the runner's bit for bit.
    /// </summary>
    public static double Fid(ResolvedJob job, int workers, CancellationToken cancellationToken)
    {
        var perShard = job.Shards.Select(_ => new FeatureMoments(job.Features.Dimension)).ToArray();
        Run(job, workers, (shard, batch) => perShard[shard.Index].AddFeatures(job.Features, batch.Samples, batch.Count), cancellationToken);
        var total = new FeatureMoments(job.Features.Dimension);
        foreach (var moments in perShard)
        {
            total.Merge(moments);
        }

        return FidOf(job, total);
    }

    /// <summary>The FID of the moments against the job's reference, as <c>FidOutput</c> computes it.</summary>
    public static double FidOf(ResolvedJob job, FeatureMoments moments) =>
        FrechetDistance.Compute(moments.ToGaussian(), job.Reference!.Statistics).Fid;

    /// <summary>All samples of the job in index order, and the evaluations each cost.</summary>
    public static (float[] Samples, NfeCount Nfe) Samples(ResolvedJob job, int workers, CancellationToken cancellationToken)
    {
        var elements = job.Model.Info.Shape.Elements;
        var samples = new float[(long)job.Spec.Samples * elements];
        var nfe = new NfeCount[job.Shards.Count];
        Run(job, workers, (shard, batch) =>
        {
            // Batches cover disjoint index ranges, so concurrent copies never overlap.
            batch.Samples.CopyTo(samples, batch.Start * elements);
            nfe[shard.Index] = batch.Nfe;
        }, cancellationToken);
        // Every batch of a sampler costs the same per sample; Single() fails loudly if one did not.
        return (samples, nfe.Distinct().Single());
    }
}
