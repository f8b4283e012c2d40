namespace OrleansFlow.Cluster;

/// <summary>
/// The scheduler of one job (key: the job id): splits it into shards, dispatches them to the silos'
/// sampler grains, re-dispatches what a dead silo held, bounds attempts, then merges the results and
/// writes the job's files. Its ledger is durable, so it resumes on another silo by itself.
/// </summary>
[Alias("OrleansFlow.IJobSchedulerGrain")]
public interface IJobSchedulerGrain : IGrainWithStringKey
{
    /// <summary>Starts (or keeps) the job running; null when the job catalog does not know it.</summary>
    [Alias("Start")]
    Task<JobRecord?> StartAsync(CancellationToken cancellationToken = default);

    /// <summary>The job's state and progress; null when the job is unknown.</summary>
    [Alias("Get")]
    Task<JobRecord?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends <paramref name="observer"/> the job's record on every change from now on and returns the
    /// current one (null when the job is unknown). Subscriptions expire (<c>JobSchedulerGrain.SubscriptionLifetime</c>)
    /// and live in one activation: a watcher subscribes again every few seconds (<c>JobFeed</c>).
    /// </summary>
    [Alias("Subscribe")]
    Task<JobRecord?> SubscribeAsync(IJobObserver observer, CancellationToken cancellationToken = default);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(IJobObserver observer, CancellationToken cancellationToken = default);

    /// <summary>Stops dispatching and ends the job as cancelled; false if it was unknown or already finished.</summary>
    [Alias("Cancel")]
    Task<bool> CancelAsync(CancellationToken cancellationToken = default);
}
