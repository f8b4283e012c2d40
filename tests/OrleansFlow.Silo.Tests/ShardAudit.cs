using OrleansFlow.Formats;
using OrleansFlow.Jobs;
using OrleansFlow.Statistics;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// Counts, from the blobs an FID job left, samples missing and samples counted more than once: each
/// shard's moments must hold exactly its own samples, and the merged total exactly the job's.
/// </summary>
internal sealed record ShardAudit(long Lost, long CountedTwice)
{
    public static ShardAudit Read(string jobDirectory, JobSpec spec)
    {
        long lost = 0, twice = 0;
        foreach (var shard in ShardRange.Plan(spec))
        {
            var path = Path.Combine(jobDirectory, "shards", $"{shard.Index:D5}.npz");
            if (!File.Exists(path))
            {
                lost += shard.Count;
                continue;
            }

            var counted = FeatureMoments.ReadFrom(NpzReader.Read(path)).Count;
            lost += Math.Max(0, shard.Count - counted);
            twice += Math.Max(0, counted - shard.Count);
        }

        var extra = Directory.EnumerateFiles(Path.Combine(jobDirectory, "shards")).Count() - spec.ShardCount;
        return new ShardAudit(lost, twice + Math.Max(0, extra) * spec.ShardSize);
    }
}
