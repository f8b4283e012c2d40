namespace OrleansFlow.Jobs;

/// <summary>Shard <paramref name="Index"/> covers sample indices [Start, Start + Count).</summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.ShardRange")]
public readonly record struct ShardRange([property: Id(0)] int Index, [property: Id(1)] long Start, [property: Id(2)] int Count)
{
    public long End => Start + Count;

    /// <summary>The shard's micro-batches in index order: (start, count), all of <paramref name="batchSize"/> but the last.</summary>
    public IEnumerable<(long Start, int Count)> Batches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        for (var start = Start; start < End; start += batchSize)
        {
            yield return (start, (int)Math.Min(batchSize, End - start));
        }
    }

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
