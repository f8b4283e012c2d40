using OrleansFlow.Jobs;

namespace OrleansFlow.Silo.Embedded;

/// <summary>How an embedded run treats an existing output directory, and how many shards it runs at once.</summary>
public sealed record RunOptions
{
    /// <summary>Continue an interrupted run of the same spec, skipping finished shards.</summary>
    public bool Resume { get; init; }

    /// <summary>Delete an existing output directory first.</summary>
    public bool Force { get; init; }

    /// <summary>Shards run at once; each also runs its batch in parallel.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>The model registry where names that are not local paths resolve (<see cref="Cluster.LocalModelLoader"/>); null: none.</summary>
    public string? Registry { get; init; }
}
