namespace OrleansFlow.Cluster;

/// <summary>
/// The warm sampler of one model on one silo (the silo is part of its key, <see cref="SamplerGrainKey"/>):
/// it loads the model once, warms the batch shapes of the jobs it serves and runs their shards.
/// </summary>
[Alias("OrleansFlow.ISamplerGrain")]
public interface ISamplerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs one shard and writes its result blob (create-only, deterministic); says how it ended. Cancelling
    /// the call stops the shard within one model call. The run outlives its caller (for <see cref="IShardFollowerGrain"/>).
    /// </summary>
    [Alias("RunShard")]
    [ResponseTimeout(LongCall.Timeout)]
    Task<ShardReport> RunShardAsync(ShardWork work, CancellationToken cancellationToken = default);

    /// <summary>Stops every shard of the job running here (the job failed or was cancelled); returns how many.</summary>
    [Alias("CancelJob")]
    Task<int> CancelJobAsync(string job, CancellationToken cancellationToken = default);

    /// <summary>
    /// Loads the model if needed, checks the spec against it and warms the batch shapes the job will
    /// run; the error names the field, null when the spec is valid.
    /// </summary>
    [Alias("Prepare")]
    [ResponseTimeout(LongCall.Timeout)]
    Task<SpecError?> PrepareAsync(Jobs.JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Merges a finished job's shard results in shard order and writes its files (statistics, summary.json).</summary>
    [Alias("Finalize")]
    [ResponseTimeout(LongCall.Timeout)]
    Task<Jobs.JobSummary> FinalizeAsync(FinalizeWork work, CancellationToken cancellationToken = default);

    /// <summary>Whether the model is loaded on this silo (the scheduler prefers warm silos).</summary>
    [Alias("IsWarm")]
    Task<bool> IsWarmAsync(CancellationToken cancellationToken = default);

    /// <summary>Unloads the model now (the silo's memory budget was exceeded); a no-op while a shard runs.</summary>
    [Alias("Evict")]
    Task EvictAsync(CancellationToken cancellationToken = default);
}
