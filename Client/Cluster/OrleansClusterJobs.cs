using System.Runtime.CompilerServices;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using OrleansFlow.Cluster;
using OrleansFlow.Jobs;

namespace OrleansFlow.Client.Cluster;

/// <summary>
/// The cluster's jobs through its grains, as an Orleans client: submission through the jobs grain (the
/// same idempotency key semantics as <c>POST /v1/jobs</c>), progress pushed by the job's scheduler grain to
/// a grain observer (<see cref="JobFeed"/>), as the API's event stream gets it.
/// </summary>
public sealed class OrleansClusterJobs(OrleansConnection connection) : IClusterJobs
{
    /// <summary>The pause between attempts while the cluster is unreachable.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long calls may keep failing while Orleans declares a silo dead and re-activates the grain on a
    /// survivor (about 1-2 s with MembershipTuning) before the cluster counts as lost.
    /// </summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    private IGrainFactory Grains => connection.Client;

    public async Task<ClusterJob> SubmitAsync(JobSpec spec, string idempotencyKey, CancellationToken cancellationToken)
    {
        // A lost reply is asked again with the same key: the jobs grain returns the job the first call made.
        var result = await RetryAsync(() => Grains.GetGrain<IJobsGrain>(0).SubmitAsync(spec, idempotencyKey, cancellationToken), cancellationToken);
        if (result.Error is { } error)
        {
            throw error.ToException();
        }

        return ClusterJob.Of(result.Job!);
    }

    public async Task<ClusterJob> GetAsync(string id, CancellationToken cancellationToken) =>
        ClusterJob.Of(await RetryAsync(() => GetOnceAsync(id, cancellationToken), cancellationToken)
            ?? throw new JobFailedException($"job {id} is unknown to the cluster"));

    public async IAsyncEnumerable<ClusterJob> FollowAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var feed = new JobFeed(Grains);
        var lastSent = (ShardsDone: -1, State: string.Empty);
        try
        {
            await foreach (var record in feed.FollowAsync((observer, ct) => RetryAsync(() => SubscribeOnceAsync(id, observer, ct), ct), cancellationToken))
            {
                var job = ClusterJob.Of(record);
                if (job.IsFinished || (job.ShardsDone, job.State) != lastSent)
                {
                    yield return job;
                    lastSent = (job.ShardsDone, job.State);
                }
            }
        }
        finally
        {
            await feed.UnsubscribeAsync(id);
        }

        if (lastSent.State.Length == 0)
        {
            throw new JobFailedException($"job {id} is unknown to the cluster");
        }
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();

    private Task<JobRecord?> GetOnceAsync(string id, CancellationToken cancellationToken) =>
        WithinPollTimeoutAsync(id, (scheduler, ct) => scheduler.GetAsync(ct), cancellationToken);

    private Task<JobRecord?> SubscribeOnceAsync(string id, IJobObserver observer, CancellationToken cancellationToken) =>
        WithinPollTimeoutAsync(id, (scheduler, ct) => scheduler.SubscribeAsync(observer, ct), cancellationToken);

    /// <summary>
    /// One call to the scheduler, abandoned after <see cref="PollTimeout"/>: a call routed to a silo that
    /// just died would otherwise wait for Orleans' response timeout (30 s) with the progress bar frozen.
    /// </summary>
    private async Task<JobRecord?> WithinPollTimeoutAsync(
        string id, Func<IJobSchedulerGrain, CancellationToken, Task<JobRecord?>> call, CancellationToken cancellationToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        poll.CancelAfter(PollTimeout);
        try
        {
            return await call(Grains.GetGrain<IJobSchedulerGrain>(id), poll.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the scheduler of job {id} did not answer within {PollTimeout.TotalSeconds} s");
        }
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var since = DateTimeOffset.UtcNow;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsTransient(e) && DateTimeOffset.UtcNow - since < Outage && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Poll, cancellationToken);
            }
        }
    }

    /// <summary>The gateway or the grain's silo went away (SIGKILL, SIGTERM), or a reply was lost on the way.</summary>
    private static bool IsTransient(Exception e) =>
        e is OrleansMessageRejectionException or ConnectionFailedException or TimeoutException; // SiloUnavailableException is a rejection
}
