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

    /// <summary>Not started: every slot of the silo stayed taken for the longest a shard may wait; the attempt does not count.</summary>
    Busy,

    /// <summary>Stopped unfinished because its scheduler cancelled it (the job ended, or the call timed out); the attempt does not count.</summary>
    Cancelled,

    /// <summary>An adoption found no run of the shard with that token on the silo; the attempt does not count.</summary>
    NotRunning,
}
