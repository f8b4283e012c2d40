using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Orleans;

namespace OrleansFlow.Cluster;

/// <summary>
/// A job's records as its scheduler pushes them (<see cref="IJobObserver"/>), for the CLI's progress bar
/// and the API's event stream. The subscription is renewed every <see cref="Renewal"/>: that keeps it
/// from expiring, finds the scheduler again after its silo died (a new activation has no subscribers),
/// and makes up for a lost one-way notification, so a watcher never waits longer than that for news.
/// </summary>
public sealed class JobFeed : IJobObserver, IDisposable
{
    public static readonly TimeSpan Renewal = TimeSpan.FromSeconds(5);

    private readonly IGrainFactory _grains;
    private readonly IJobObserver _reference;

    // Only the newest record matters: older ones still queued are dropped.
    private readonly Channel<JobRecord> _updates = Channel.CreateBounded<JobRecord>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public JobFeed(IGrainFactory grains)
    {
        _grains = grains;
        _reference = grains.CreateObjectReference<IJobObserver>(this);
    }

    /// <summary>
    /// The job's record now and after every change, ending with the finished job. <paramref name="subscribe"/>
    /// calls <see cref="IJobSchedulerGrain.SubscribeAsync"/> with the reference it is given (the caller
    /// adds its own retries and timeouts); its null (the job is unknown) ends the feed.
    /// </summary>
    public async IAsyncEnumerable<JobRecord> FollowAsync(
        Func<IJobObserver, CancellationToken, Task<JobRecord?>> subscribe, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var job = await subscribe(_reference, cancellationToken);
            if (job is null)
            {
                yield break;
            }

            while (true)
            {
                yield return job;
                if (job.IsFinished)
                {
                    yield break;
                }

                using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                renewal.CancelAfter(Renewal);
                try
                {
                    job = await _updates.Reader.ReadAsync(renewal.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    break; // Renew the subscription, which also returns the current record.
                }
            }
        }
    }

    /// <summary>Ends a subscription early (best effort: it expires by itself otherwise).</summary>
    public async Task UnsubscribeAsync(string job)
    {
        try
        {
            await _grains.GetGrain<IJobSchedulerGrain>(job).UnsubscribeAsync(_reference);
        }
        catch (Exception)
        {
            // The scheduler's silo may be gone; its subscription went with it.
        }
    }

    Task IJobObserver.OnProgressAsync(JobRecord job)
    {
        _updates.Writer.TryWrite(job);
        return Task.CompletedTask;
    }

    public void Dispose() => _grains.DeleteObjectReference<IJobObserver>(_reference);
}
