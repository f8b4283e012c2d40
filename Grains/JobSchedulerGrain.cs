using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.Utilities;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Cluster;

/// <summary>
/// The scheduler of one job. It dispatches the job's shards to the sampler grains of the active
/// silos (silos warm for the model first; each gets as many as it has <see cref="OrleansFlowOptions.Workers"/>
/// plus <see cref="OrleansFlowOptions.QueuedShards"/> waiting, so no worker idles between shards), counts
/// a shard done only when the report carries the shard's current token, re-dispatches what a dead
/// silo held (Orleans fails calls pending on a silo once it is declared dead), fails the job when a
/// shard used up its attempts, then has its silo's sampler merge the results and write the files.
/// <para>
/// Every transition is written to the ledger (grain storage, PostgreSQL in a cluster) before it takes
/// effect, so an activation on another silo carries on where this one stopped: silos poke every
/// unfinished job when a member dies (<see cref="JobResumer"/>), and a reminder does it at the latest
/// a minute later. A stale twin activation cannot count anything: its next write fails on the ETag.
/// </para>
/// <para>
/// Random placement: Orleans' default may put every scheduler on the silo that received the
/// submissions (../shared/STACK.md); spread, the schedulers' work and the jobs a silo death interrupts are shared.
/// </para>
/// </summary>
[RandomPlacement]
public sealed partial class JobSchedulerGrain(
    [PersistentState("ledger", OrleansFlowOptions.StorageName)] IPersistentState<JobLedger> ledger,
    IJobCatalog catalog,
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    OrleansFlowOptions options,
    ILogger<JobSchedulerGrain> logger) : Grain, IJobSchedulerGrain, IRemindable
{
    /// <summary>
    /// How long a progress subscription lives without being renewed: several of <see cref="JobFeed"/>'s
    /// renewal periods, so a watcher that went away without unsubscribing is dropped within a minute.
    /// </summary>
    public static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromMinutes(1);

    private const string ResumeReminder = "resume-job";
    private readonly Channel<DispatchResult> _results = Channel.CreateUnbounded<DispatchResult>();
    private readonly Dictionary<string, bool> _warm = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly ObserverManager<IJobObserver> _observers = new(SubscriptionLifetime, logger);
    private readonly List<(int Index, long Token)> _unsent = [];
    private readonly HashSet<string> _stopping = new(StringComparer.Ordinal);
    private (int Outstanding, bool Finished)? _reported;
    private CatalogEntry? _entry;
    private IReadOnlyList<ShardRange> _plan = [];
    private bool _fenced;

    private JobId Id => JobId.Parse(this.GetPrimaryKeyString());

    private JobLedger Ledger => ledger.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _entry = await catalog.GetAsync(Id, cancellationToken);
        if (_entry is null)
        {
            return;
        }

        _plan = ShardRange.Plan(_entry.Spec);
        if (!Ledger.IsStarted)
        {
            Ledger.Shards = [.. _plan.Select(_ => new ShardEntry())];
            Ledger.StartedAt = DateTimeOffset.UtcNow;
        }

        foreach (var shard in Ledger.Shards.Where(s => s.Status == ShardStatus.Dispatched))
        {
            // Dispatched by an earlier activation, whose silo died or whose reports can no longer reach
            // anyone: dispatch again (the attempt was counted; the result blob is create-only).
            shard.Status = ShardStatus.Pending;
        }

        if (!Ledger.IsFinished)
        {
            LogResumed(Id.Value, Ledger.Shards.Count(s => s.Status == ShardStatus.Done), Ledger.Shards.Count);
            _ = RunAsync();
        }
    }

    public Task<JobRecord?> StartAsync(CancellationToken cancellationToken) => GetAsync(cancellationToken);

    public Task<JobRecord?> GetAsync(CancellationToken cancellationToken)
    {
        if (_entry is null)
        {
            DeactivateOnIdle();
        }

        return Task.FromResult(_entry is null ? null : Record(_entry));
    }

    public Task<JobRecord?> SubscribeAsync(IJobObserver observer, CancellationToken cancellationToken)
    {
        if (_entry is not null)
        {
            _observers.Subscribe(observer, observer);
        }

        return GetAsync(cancellationToken);
    }

    public Task UnsubscribeAsync(IJobObserver observer, CancellationToken cancellationToken)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task<bool> CancelAsync(CancellationToken cancellationToken)
    {
        if (_entry is null || Ledger.IsFinished)
        {
            return false;
        }

        await _stop.CancelAsync();
        await EndAsync(JobState.Cancelled, error: null);
        return true;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Being activated by the tick was the point; a finished job needs no more ticks.
        if (_entry is null || Ledger.IsFinished)
        {
            await UnregisterReminderAsync();
        }
    }

    private async Task RunAsync()
    {
        var reminderRegistered = false;
        while (!Ledger.IsFinished && !_fenced)
        {
            try
            {
                DelayDeactivation(TimeSpan.FromMinutes(2));

                // One ledger write records both the reports that came back and what follows from them: the
                // dispatches that replace them (sent once it is written), or the start of finalisation.
                var changed = ApplyResults();
                if (!Ledger.IsFinished && Ledger.Shards.All(s => s.Status == ShardStatus.Done))
                {
                    await FinalizeAsync();
                    continue;
                }

                changed |= await PlanDispatchesAsync();
                if (changed || _unsent.Count > 0)
                {
                    await SaveAsync();
                }

                SendWritten();
                if (!Ledger.IsFinished && !reminderRegistered)
                {
                    // Once the first shards are out rather than before: it is a backstop (JobResumer's pokes
                    // come first), and its round trip to the reminder table would delay them.
                    reminderRegistered = true;
                    await RegisterReminderAsync();
                }

                if (!Ledger.IsFinished)
                {
                    await WaitForResultAsync();
                }
            }
            catch (InconsistentStateException e)
            {
                // A twin activation wrote the ledger since this one read it: it owns the job now.
                _fenced = true;
                LogFenced(e, Id.Value);
                DeactivateOnIdle();
            }
            catch (Exception e)
            {
                // Storage unreachable (PostgreSQL restarting): the unsaved transitions are retried with the next write.
                LogLoopFailed(e, Id.Value);
                await Task.Delay(options.SchedulerTick);
            }
        }
    }

    private async Task RegisterReminderAsync()
    {
        if (!options.UseResumeReminder)
        {
            return;
        }

        try
        {
            await this.RegisterOrUpdateReminder(ResumeReminder, options.ResumeReminderPeriod, options.ResumeReminderPeriod);
        }
        catch (Exception e)
        {
            // Without it the job still resumes on membership changes and silo starts (JobResumer).
            LogReminderFailed(e, Id.Value);
        }
    }

    /// <summary>
    /// Hands pending shards to silos with room (<see cref="OrleansFlowOptions.Workers"/> running plus
    /// <see cref="OrleansFlowOptions.QueuedShards"/> waiting each) and marks them dispatched in the ledger;
    /// they are sent by <see cref="SendWritten"/> once a write has recorded them. Returns whether it dispatched any.
    /// </summary>
    private async Task<bool> PlanDispatchesAsync()
    {
        var silos = ActiveSilos.Of(membership).Where(s => !_stopping.Contains(s)).ToList();
        if (Ledger.IsFinished || silos.Count == 0)
        {
            return false;
        }

        await LearnWarmthAsync(silos);
        var inFlight = silos.ToDictionary(s => s, s => Ledger.Shards.Count(e => e.Status == ShardStatus.Dispatched && e.Silo == s), StringComparer.Ordinal);
        var perSilo = options.Workers + options.QueuedShards;
        var planned = false;
        for (var index = 0; index < Ledger.Shards.Count; index++)
        {
            var entry = Ledger.Shards[index];
            if (entry.Status != ShardStatus.Pending)
            {
                continue;
            }

            if (entry.Attempts >= _entry!.MaxAttempts)
            {
                await EndAsync(JobState.Failed, $"shard {index} failed {entry.Attempts} time(s): {entry.Error}");
                return false;
            }

            var silo = inFlight.Where(s => s.Value < perSilo)
                .OrderByDescending(s => _warm.GetValueOrDefault(s.Key))
                .ThenBy(s => s.Value)
                .Select(s => s.Key)
                .FirstOrDefault();
            if (silo is null)
            {
                break;
            }

            inFlight[silo]++;
            entry.Status = ShardStatus.Dispatched;
            entry.Attempts++;
            entry.Token = ++Ledger.LastToken;
            entry.Silo = silo;
            _unsent.Add((index, entry.Token));
            planned = true;
        }

        return planned;
    }

    /// <summary>
    /// Sends the dispatches the last write recorded. A dispatch whose write failed stays unsent and goes
    /// with the next successful write; one superseded meanwhile (the job ended) is dropped.
    /// </summary>
    private void SendWritten()
    {
        foreach (var (index, token) in _unsent)
        {
            var entry = Ledger.Shards[index];
            if (!Ledger.IsFinished && entry.Status == ShardStatus.Dispatched && entry.Token == token)
            {
                _ = SendAsync(index, token, entry.Silo!, entry.Attempts);
            }
        }

        _unsent.Clear();
    }

    /// <summary>One dispatch; its result, or the exception of a lost call, goes to the loop.</summary>
    private async Task SendAsync(int index, long token, string silo, int attempt)
    {
        var work = new ShardWork(Id.Value, _entry!.Spec, _plan[index], token, attempt);
        try
        {
            var report = await Sampler(silo).RunShardAsync(work, _stop.Token);
            _results.Writer.TryWrite(new DispatchResult(index, token, silo, report, null));
        }
        catch (Exception e)
        {
            _results.Writer.TryWrite(new DispatchResult(index, token, silo, null, e));
        }
    }

    private async Task WaitForResultAsync()
    {
        using var tick = new CancellationTokenSource(options.SchedulerTick);
        try
        {
            await _results.Reader.WaitToReadAsync(tick.Token);
        }
        catch (OperationCanceledException)
        {
            // Nothing came back within a tick: look at membership again.
        }
    }

    /// <summary>Counts the reports that carry their shard's current token; returns whether the ledger changed.</summary>
    private bool ApplyResults()
    {
        var changed = false;
        while (!Ledger.IsFinished && _results.Reader.TryRead(out var result))
        {
            var entry = Ledger.Shards[result.Index];
            if (entry.Status != ShardStatus.Dispatched || entry.Token != result.Token)
            {
                LogStale(Id.Value, result.Index, result.Token, entry.Token);
                continue;
            }

            changed = true;
            if (result.Error is { } error)
            {
                entry.Status = ShardStatus.Pending;
                entry.Error = $"lost on silo {result.Silo}: {error.GetType().Name}: {FirstLine(error.Message)}";
                _warm.Remove(result.Silo);
                OrleansFlowMetrics.LeaseReclaims.Add(1, new KeyValuePair<string, object?>("model", _entry!.Spec.Model));
                LogLost(Id.Value, result.Index, result.Silo, error.GetType().Name);
                continue;
            }

            var report = result.Report!;
            switch (report.Outcome)
            {
                case ShardOutcome.Completed or ShardOutcome.AlreadyWritten:
                    entry.Status = ShardStatus.Done;
                    Ledger.SamplesGenerated += report.SamplesGenerated;
                    Ledger.ResumedShards += report.Outcome == ShardOutcome.AlreadyWritten && entry.Attempts == 1 ? 1 : 0;
                    _warm[result.Silo] = true;
                    break;
                case ShardOutcome.Released:
                    // Its silo is stopping (SIGTERM) but may still look active: send it nothing more.
                    entry.Status = ShardStatus.Pending;
                    entry.Attempts--;
                    _stopping.Add(result.Silo);
                    break;
                default:
                    entry.Status = ShardStatus.Pending;
                    entry.Error = report.Error;
                    if (entry.Attempts >= _entry!.MaxAttempts)
                    {
                        End(JobState.Failed, $"shard {result.Index} failed {entry.Attempts} time(s): {report.Error}");
                    }

                    break;
            }
        }

        return changed;
    }

    private async Task FinalizeAsync()
    {
        Ledger.State = JobState.Finalizing;
        await SaveAsync();
        try
        {
            var seconds = (DateTimeOffset.UtcNow - Ledger.StartedAt).TotalSeconds;
            var work = new FinalizeWork(Id.Value, _entry!.Spec, seconds, Ledger.SamplesGenerated, Ledger.ResumedShards);
            var summary = await Sampler(localSilo.SiloAddress.ToParsableString()).FinalizeAsync(work, _stop.Token);
            Ledger.Summary = summary;
            await EndAsync(JobState.Succeeded, error: null);
        }
        catch (Exception e) when (e is not InconsistentStateException && !_stop.IsCancellationRequested)
        {
            LogFinalizationFailed(e, Id.Value);
            await EndAsync(JobState.Failed, $"finalisation failed: {e.GetType().Name}: {FirstLine(e.Message)}");
        }
    }

    private async Task EndAsync(JobState state, string? error)
    {
        End(state, error);
        await SaveAsync();
        await UnregisterReminderAsync();
    }

    private void End(JobState state, string? error)
    {
        Ledger.State = state;
        Ledger.Error = error;
        Ledger.FinishedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Writes the ledger (one write at a time: the loop and grain calls interleave) and tells the catalog.</summary>
    private async Task SaveAsync()
    {
        await _writing.WaitAsync();
        try
        {
            await ledger.WriteStateAsync();
        }
        finally
        {
            _writing.Release();
        }

        if (_observers.Count > 0)
        {
            var record = Record(_entry!);
            await _observers.Notify(o => o.OnProgressAsync(record));
        }

        // Only what changed: a write that records dispatches alone leaves the catalog's figures as they were.
        var report = (Outstanding: Ledger.Shards.Count(s => s.Status != ShardStatus.Done), Finished: Ledger.IsFinished);
        if (_reported == report)
        {
            return;
        }

        try
        {
            await catalog.ReportAsync(Id, report.Outstanding, report.Finished, CancellationToken.None);
            _reported = report;
        }
        catch (Exception e)
        {
            // The catalog's copy is advisory (KEDA, pokes); the ledger is the truth and was written.
            LogCatalogReportFailed(e, Id.Value);
        }
    }

    private async Task UnregisterReminderAsync()
    {
        if (!options.UseResumeReminder)
        {
            return;
        }

        try
        {
            if (await this.GetReminder(ResumeReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception e)
        {
            LogReminderFailed(e, Id.Value);
        }
    }

    /// <summary>Asks each silo not seen yet whether its sampler for the model is warm (activating it costs no load).</summary>
    private async Task LearnWarmthAsync(IReadOnlyList<string> silos)
    {
        foreach (var silo in silos.Where(s => !_warm.ContainsKey(s)))
        {
            try
            {
                _warm[silo] = await Sampler(silo).IsWarmAsync(_stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _warm[silo] = false;
            }
        }
    }

    private ISamplerGrain Sampler(string silo) =>
        GrainFactory.GetGrain<ISamplerGrain>(new SamplerGrainKey(silo, _entry!.Spec.Model).ToGrainKey());

    private JobRecord Record(CatalogEntry entry)
    {
        var done = Ledger.Shards.Select((s, i) => (s, i)).Where(p => p.s.Status == ShardStatus.Done).ToList();
        return new JobRecord(
            entry.Id.Value, entry.Spec, Ledger.State, _plan.Count, done.Count, done.Sum(p => (long)_plan[p.i].Count),
            entry.CreatedAt, Ledger.FinishedAt, Ledger.Error, Ledger.Summary,
            localSilo.SiloAddress.ToParsableString(),
            Ledger.Shards.Where(s => s.Status == ShardStatus.Dispatched).GroupBy(s => s.Silo!).ToDictionary(g => g.Key, g => g.Count()));
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private sealed record DispatchResult(int Index, long Token, string Silo, ShardReport? Report, Exception? Error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler of job {Job} active: {Done}/{Shards} shards done")]
    private partial void LogResumed(string job, int done, int shards);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: report of shard {Index} with token {Token} ignored (current token {Current})")]
    private partial void LogStale(string job, int index, long token, long current);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: shard {Index} lost on silo {Silo} ({Error}); dispatching it again")]
    private partial void LogLost(string job, int index, string silo, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: another activation wrote the ledger; this one stops")]
    private partial void LogFenced(Exception error, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: scheduler step failed; retrying")]
    private partial void LogLoopFailed(Exception error, string job);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job}: finalisation failed")]
    private partial void LogFinalizationFailed(Exception error, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: could not report progress to the job catalog")]
    private partial void LogCatalogReportFailed(Exception error, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: could not register or unregister its resume reminder")]
    private partial void LogReminderFailed(Exception error, string job);
}
