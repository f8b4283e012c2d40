namespace OrleansFlow.Jobs;

/// <summary>Shard <paramref name="Index"/> covers sample indices [Start, Start + Count).</summary>
public readonly record struct ShardRange(int Index, long Start, int Count)
{
    public long End => Start + Count;

    /// <summary>The shards of a job: equal contiguous ranges, the last one possibly shorter.</summary>
    public static IReadOnlyList<ShardRange> Plan(JobSpec spec)
    {
        var shards = new ShardRange[spec.ShardCount];
        for (var i = 0; i < shards.Length; i++)
        {
            var start = (long)i * spec.ShardSize;
            shards[i] = new ShardRange(i, start, (int)Math.Min(spec.ShardSize, spec.Samples - start));
        }

        return shards;
    }
}
