using Orleans.Concurrency;

namespace OrleansFlow.Cluster;

/// <summary>
/// Receives a job's record from its scheduler each time the scheduler writes its ledger (a shard
/// counted, the job finalising or ending). One-way: a slow or vanished watcher never holds the scheduler up.
/// </summary>
[Alias("OrleansFlow.IJobObserver")]
public interface IJobObserver : IGrainObserver
{
    [OneWay]
    [Alias("OnProgress")]
    Task OnProgressAsync(JobRecord job);
}
