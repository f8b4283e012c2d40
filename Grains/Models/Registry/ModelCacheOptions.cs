namespace OrleansFlow.Models.Registry;

public sealed record ModelCacheOptions
{
    /// <summary>The local directory entries are downloaded into (one per silo; not shared between processes).</summary>
    public required string Root { get; init; }

    /// <summary>Bytes of entries kept on disk at most; least recently used unpinned entries are deleted beyond it.</summary>
    public long BudgetBytes { get; init; } = 20L << 30;
}
