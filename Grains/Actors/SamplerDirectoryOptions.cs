namespace OrleansFlow.Actors;

public sealed record SamplerDirectoryOptions
{
    /// <summary>An actor unused for this long is deactivated.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Warm models kept at most (least recently used idle actors are evicted beyond it).</summary>
    public long MemoryBudgetBytes { get; init; } = 8L << 30;
}
