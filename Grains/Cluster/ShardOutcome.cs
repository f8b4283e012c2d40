namespace OrleansFlow.Cluster;

public enum ShardOutcome
{
    /// <summary>Generated and completed under this lease.</summary>
    Completed,

    /// <summary>Its result blob already existed (an earlier run or a stale holder wrote it): completed without work.</summary>
    AlreadyWritten,

    /// <summary>The lease was lost (expired, reclaimed, job cancelled): nothing recorded.</summary>
    LeaseLost,

    /// <summary>The node is stopping: the lease was handed back without counting the attempt.</summary>
    Released,

    /// <summary>The shard threw: the attempt was recorded as failed.</summary>
    Failed,
}
