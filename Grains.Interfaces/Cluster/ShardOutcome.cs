namespace OrleansFlow.Cluster;

[GenerateSerializer, Alias("OrleansFlow.ShardOutcome")]
public enum ShardOutcome
{
    /// <summary>Generated and written by this dispatch.</summary>
    Completed,

    /// <summary>Its result blob already existed (an earlier run or a stale twin wrote it): done without work.</summary>
    AlreadyWritten,

    /// <summary>The silo is stopping: handed back unfinished; the attempt does not count.</summary>
    Released,

    /// <summary>The shard threw: the attempt counts, with its error.</summary>
    Failed,
}
