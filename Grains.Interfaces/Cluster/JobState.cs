namespace OrleansFlow.Cluster;

[GenerateSerializer, Alias("OrleansFlow.JobState")]
public enum JobState
{
    /// <summary>Shards are being generated.</summary>
    Running,

    /// <summary>Every shard is done; the scheduler is merging the results.</summary>
    Finalizing,

    Succeeded,

    /// <summary>A shard failed more often than the attempt bound, or finalisation failed.</summary>
    Failed,

    Cancelled,
}
