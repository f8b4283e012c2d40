using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansFlow.Ids;

namespace OrleansFlow.Cluster;

/// <summary>
/// Wakes the scheduler of every unfinished job when this silo becomes active and whenever a member is
/// declared dead, so a job whose scheduler lived on the dead silo goes on at once on a survivor
/// instead of at its next reminder tick. Waking an already running scheduler costs one grain call.
/// </summary>
public sealed partial class JobResumer(IJobCatalog catalog, IClusterMembershipService membership, IGrainFactory grains, ILogger<JobResumer> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    // Tries per scheduler, a second apart, then two, then three: about six seconds before leaving it to the reminder.
    private const int WakeAttempts = 4;

    private readonly CancellationTokenSource _stop = new();
    private Task _watching = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobResumer), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _watching = Task.Run(WatchAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _watching;
    }

    private async Task WatchAsync()
    {
        try
        {
            await WakeAllAsync("this silo started");
            var dead = Dead(membership.CurrentSnapshot);
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stop.Token))
            {
                var nowDead = Dead(snapshot);
                if (nowDead.Except(dead).Any())
                {
                    await WakeAllAsync("a silo was declared dead");
                }

                dead = nowDead;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The silo is stopping.
        }
        catch (Exception e)
        {
            LogWatchFailed(e);
        }
    }

    private async Task WakeAllAsync(string reason)
    {
        try
        {
            var jobs = await catalog.ListUnfinishedAsync(_stop.Token);
            LogWaking(jobs.Count, reason);
            await Task.WhenAll(jobs.Select(WakeAsync));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogListFailed(e);
        }
    }

    /// <summary>
    /// Wakes one scheduler, trying again a few times: right after a death the first call can fail (the
    /// directory is still settling, the survivors are loaded), and without a retry the job would wait for
    /// its reminder tick, up to a minute, while its shards that were running elsewhere finish unadopted.
    /// </summary>
    private async Task WakeAsync(JobId job)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grains.GetGrain<IJobSchedulerGrain>(job.Value).StartAsync(_stop.Token);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && attempt < WakeAttempts)
            {
                LogWakeRetry(e, job.Value, attempt);
                await Task.Delay(TimeSpan.FromSeconds(attempt), _stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogWakeFailed(e, job.Value, attempt);
                return;
            }
        }
    }

    private static HashSet<SiloAddress> Dead(ClusterMembershipSnapshot snapshot) =>
        [.. snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress)];

    [LoggerMessage(Level = LogLevel.Information, Message = "Waking the schedulers of {Jobs} unfinished job(s): {Reason}")]
    private partial void LogWaking(int jobs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the unfinished jobs to wake their schedulers; their reminders will")]
    private partial void LogListFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waking the scheduler of job {Job} failed (attempt {Attempt}); trying again")]
    private partial void LogWakeRetry(Exception error, string job, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the scheduler of job {Job} in {Attempts} attempts; its reminder will")]
    private partial void LogWakeFailed(Exception error, string job, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopped watching membership for dead silos")]
    private partial void LogWatchFailed(Exception error);
}
