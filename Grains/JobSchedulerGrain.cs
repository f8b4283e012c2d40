using System.Diagnostics;
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
/// Every transition is written to the ledger before it takes effect, so an activation on another silo
/// carries on where this one stopped: silos poke every unfinished job when a member dies
/// (<see cref="JobResumer"/>), and a reminder does it at the latest a minute later. The ledger has two
/// halves: the shards' rows (<see cref="IShardLedger"/>, only the rows that changed are written, so a shard
/// event costs the same in a job of 100 shards as in one of 10,000) and the job-level state (<see cref="JobLedger"/>,
/// grain storage, written at start, finalisation and end). A stale twin activation cannot count anything:
/// its row writes fail on the epoch the newer activation claimed, its state writes on the ETag.
/// </para>
/// <para>
/// Lifetime: the loop belongs to the activation — it stops when the activation deactivates (its token is
/// cancelled in <see cref="OnDeactivateAsync"/>), is fenced, or the job ends. Shard calls do not: a job
/// that fails or is cancelled cancels them (the samplers stop within one model call), while a scheduler
/// that merely moves leaves them running, and its next activation adopts every shard still running on a
/// live silo (<see cref="IShardFollowerGrain"/>) instead of dispatching it again and charging an attempt.
/// Shards a silo hands back unstarted (its slots stayed taken by other jobs: <see cref="ShardOutcome.Busy"/>)
/// or stopped by a cancellation are not attempts either; that silo gets a tick's rest.
/// </para>
/// <para>
/// Random placement: Orleans' default may put every scheduler on the silo that received the
/// submissions (../shared/STACK.md); spread, the schedulers' work and the jobs a silo death interrupts are shared.
/// </para>
/// </summary>
[RandomPlacement]
public sealed partial class JobSchedulerGrain(
    [PersistentState("ledger", OrleansFlowOptions.StorageName)] IPersistentState<JobLedger> ledger,
    IShardLedger shardLedger,
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

    /// <summary>
    /// How often a running job's outstanding count reaches the job catalog. Its readers are slow (KEDA polls every
    /// 30 s; silos poke unfinished jobs after a member dies), while a write per step would double the scheduler's
    /// PostgreSQL round trips at high shard rates: one per completed shard beside the ledger's row write.
    /// </summary>
    public static readonly TimeSpan CatalogReportPeriod = TimeSpan.FromSeconds(1);
    private readonly Channel<DispatchResult> _results = Channel.CreateUnbounded<DispatchResult>();
    private readonly Dictionary<string, bool> _warm = new(StringComparer.Ordinal);
    // The loop's lifetime: cancelled when the activation deactivates, is fenced or the job ends.
    private readonly CancellationTokenSource _lifetime = new();
    // The shard calls' lifetime: cancelled only when the job fails or is cancelled. A deactivating or
    // dying scheduler leaves its shards running, for the next activation to adopt.
    private readonly CancellationTokenSource _shardCalls = new();
    private readonly Dictionary<string, DateTimeOffset> _busyUntil = new(StringComparer.Ordinal);
    private readonly List<(int Index, long Token, string Silo)> _adopt = [];
    private Task? _loop;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly ObserverManager<IJobObserver> _observers = new(SubscriptionLifetime, logger);
    private readonly List<(int Index, long Token)> _unsent = [];
    private readonly HashSet<string> _stopping = new(StringComparer.Ordinal);
    private readonly HashSet<int> _changed = [];
    private readonly SortedSet<int> _pending = [];
    private readonly HashSet<int> _dispatched = [];
    private (int Outstanding, bool Finished)? _reported;
    private long _reportedAt;
    private CatalogEntry? _entry;
    private IReadOnlyList<ShardRange> _plan = [];
    private ShardEntry[] _shards = [];
    private int _done;
    // The sum of the shards' attempts, kept as they change: Record runs at every write while someone watches
    // the job, and summing the shards there would make each shard event cost O(shards).
    private int _attempts;
    private long _samplesDone;
    private long _epoch;
    private long _tokens;
    private bool _fenced;
    private string? _failure;

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
        _shards = [.. _plan.Select(_ => new ShardEntry())];
        var layout1 = Ledger.Shards.Count == _plan.Count;
        if (layout1)
        {
            _shards = [.. Ledger.Shards];
        }
        else
        {
            foreach (var row in await shardLedger.ReadAsync(Id, cancellationToken))
            {
                _shards[row.Index] = ShardEntry.Of(row);
            }
        }

        for (var index = 0; index < _shards.Length; index++)
        {
            Count(index, _shards[index].Status, +1);
            _attempts += _shards[index].Attempts;
        }

        if (Ledger.IsFinished)
        {
            if (Ledger.State is JobState.Failed or JobState.Cancelled && _dispatched.Count > 0)
            {
                // Its end was written but the activation that wrote it may have died before stopping them.
                CancelRunningShards();
            }

            return;
        }

        _epoch = await shardLedger.ClaimAsync(Id, cancellationToken);
        var active = ActiveSilos.Of(membership).ToHashSet(StringComparer.Ordinal);
        foreach (var index in _dispatched.ToList())
        {
            var entry = _shards[index];
            if (active.Contains(entry.Silo!))
            {
                // Dispatched by an earlier activation to a silo still up: its run outlived that activation's
                // call, so follow it to its end (adopt) rather than run it again beside itself.
                _adopt.Add((index, entry.Token, entry.Silo!));
            }
            else
            {
                // Its silo died: dispatch again (the attempt was counted; the result blob is create-only).
                // Counted as a re-dispatch like a lost call: the activation that sent it may have gone
                // before the call failed (a scheduler moved while the shard's silo was being declared dead).
                SetStatus(index, ShardStatus.Pending);
                CountRedispatch();
            }
        }

        if (layout1)
        {
            // A ledger of layout 1 (every entry in the grain state): its rows go to the shard ledger before
            // the grain state forgets them, so a failure between the two writes loses nothing.
            await shardLedger.WriteAsync(Id, _epoch, [.. _shards.Select((s, i) => s.ToRow(i)).Where((_, i) => !_shards[i].IsInitial)], cancellationToken);
            Ledger.Shards = [];
            _changed.Clear();
        }

        if (!Ledger.IsStarted || layout1)
        {
            Ledger.StartedAt = Ledger.IsStarted ? Ledger.StartedAt : DateTimeOffset.UtcNow;
            Ledger.Version = JobLedger.CurrentVersion;
            await ledger.WriteStateAsync(cancellationToken);
        }

        LogResumed(Id.Value, _done, _shards.Length, _adopt.Count);
        _loop = RunAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The loop ends with the activation; shard calls go on, for the next activation to adopt.
        await _lifetime.CancelAsync();
        if (_loop is { } loop)
        {
            try
            {
                await loop.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Deactivation's own deadline: the loop stops at its next await anyway.
            }
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
        foreach (var (index, token, silo) in _adopt)
        {
            _ = FollowAsync(index, token, silo, Follower(silo).FollowAsync(Id.Value, index, token, _shardCalls.Token));
        }

        _adopt.Clear();
        var reminderRegistered = false;
        while (!Ledger.IsFinished && !_fenced && !_lifetime.IsCancellationRequested)
        {
            // The step's busy time (orleansflow_scheduler_busy_seconds_total) runs from here to the wait for
            // reports or to the hand-over to the finaliser.
            var step = Stopwatch.GetTimestamp();
            try
            {
                DelayDeactivation(TimeSpan.FromMinutes(2));

                // One ledger write records both the reports that came back and what follows from them: the
                // dispatches that replace them (sent once it is written), or the start of finalisation.
                ApplyResults();
                if (_failure is { } failure)
                {
                    await SaveShardsAsync();
                    await EndAsync(JobState.Failed, failure);
                    CountBusy(step);
                    continue;
                }

                if (!Ledger.IsFinished && _done == _shards.Length)
                {
                    await SaveShardsAsync();
                    CountBusy(step);
                    await FinalizeAsync();
                    continue;
                }

                await PlanDispatchesAsync();
                if (Ledger.IsFinished)
                {
                    CountBusy(step);
                    continue;
                }

                if (_changed.Count > 0 || _unsent.Count > 0)
                {
                    await SaveShardsAsync();
                }

                SendWritten();
                if (!Ledger.IsFinished && !reminderRegistered)
                {
                    // Once the first shards are out rather than before: it is a backstop (JobResumer's pokes
                    // come first), and its round trip to the reminder table would delay them.
                    reminderRegistered = true;
                    await RegisterReminderAsync();
                }

                await ReportToCatalogAsync();
                CountBusy(step);
                if (!Ledger.IsFinished)
                {
                    await WaitForResultAsync();
                }
            }
            catch (Exception e) when (e is InconsistentStateException or ShardLedgerFencedException)
            {
                // A twin activation claimed or wrote the ledger since this one read it: it owns the job now.
                _fenced = true;
                LogFenced(e, Id.Value);
                await _lifetime.CancelAsync();
                DeactivateOnIdle();
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                // Deactivating: the next activation carries on from the ledger.
            }
            catch (Exception e)
            {
                // Storage unreachable (PostgreSQL restarting): the unsaved transitions are retried with the next write.
                LogLoopFailed(e, Id.Value);
                try
                {
                    await Task.Delay(options.SchedulerTick, _lifetime.Token);
                }
                catch (OperationCanceledException)
                {
                }
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
    /// they are sent by <see cref="SendWritten"/> once a write has recorded them.
    /// </summary>
    private async Task PlanDispatchesAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var silos = ActiveSilos.Of(membership)
            .Where(s => !_stopping.Contains(s) && !(_busyUntil.TryGetValue(s, out var until) && until > now))
            .ToList();
        if (Ledger.IsFinished || silos.Count == 0 || _pending.Count == 0)
        {
            return;
        }

        await LearnWarmthAsync(silos);
        var inFlight = silos.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        foreach (var index in _dispatched)
        {
            if (inFlight.ContainsKey(_shards[index].Silo!))
            {
                inFlight[_shards[index].Silo!]++;
            }
        }

        var perSilo = options.Workers + options.QueuedShards;
        // Only as many pending shards as there are free places: a copy of the whole pending set on every
        // step would make the scheduler's cost per shard grow with the job's shard count.
        var room = inFlight.Values.Sum(n => Math.Max(0, perSilo - n));
        foreach (var index in _pending.Take(room).ToList())
        {
            var entry = _shards[index];
            if (entry.Attempts >= _entry!.MaxAttempts)
            {
                await SaveShardsAsync();
                await EndAsync(JobState.Failed, $"shard {index} failed {entry.Attempts} time(s): {entry.Error}");
                return;
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
            SetStatus(index, ShardStatus.Dispatched);
            Charge(entry, +1);
            entry.Token = NextToken();
            entry.Silo = silo;
            _unsent.Add((index, entry.Token));
        }
    }

    /// <summary>Counts a dispatch as an attempt (+1), or takes back one that was not the shard's fault (−1), keeping the job's total.</summary>
    private void Charge(ShardEntry entry, int attempts)
    {
        entry.Attempts += attempts;
        _attempts += attempts;
    }

    private static void CountBusy(long since) =>
        OrleansFlowMetrics.SchedulerBusy.Add(Stopwatch.GetElapsedTime(since).TotalSeconds);

    private void CountRedispatch() =>
        OrleansFlowMetrics.ShardRedispatches.Add(1, new KeyValuePair<string, object?>("model", _entry!.Spec.Model));

    /// <summary>Tokens are unique across activations: the epoch this activation claimed, then a counter.</summary>
    private long NextToken() => (_epoch << 32) | ++_tokens;

    /// <summary>Moves a shard to <paramref name="status"/>, keeping the counts and sets the loop reads, and marks its row changed.</summary>
    private void SetStatus(int index, ShardStatus status)
    {
        Count(index, _shards[index].Status, -1);
        _shards[index].Status = status;
        Count(index, status, +1);
        _changed.Add(index);
    }

    private void Count(int index, ShardStatus status, int sign)
    {
        switch (status)
        {
            case ShardStatus.Done:
                _done += sign;
                _samplesDone += sign * _plan[index].Count;
                break;
            case ShardStatus.Dispatched when sign > 0:
                _dispatched.Add(index);
                break;
            case ShardStatus.Dispatched:
                _dispatched.Remove(index);
                break;
            case ShardStatus.Pending when sign > 0:
                _pending.Add(index);
                break;
            default:
                _pending.Remove(index);
                break;
        }
    }

    /// <summary>
    /// Sends the dispatches the last write recorded. A dispatch whose write failed stays unsent and goes
    /// with the next successful write; one superseded meanwhile (the job ended) is dropped.
    /// </summary>
    private void SendWritten()
    {
        foreach (var (index, token) in _unsent)
        {
            var entry = _shards[index];
            if (!Ledger.IsFinished && entry.Status == ShardStatus.Dispatched && entry.Token == token)
            {
                _ = SendAsync(index, token, entry.Silo!, entry.Attempts);
            }
        }

        _unsent.Clear();
    }

    /// <summary>One dispatch; its result, or the exception of a lost call, goes to the loop.</summary>
    private Task SendAsync(int index, long token, string silo, int attempt)
    {
        var work = new ShardWork(Id.Value, _entry!.Spec, _plan[index], token, attempt);
        return FollowAsync(index, token, silo, Sampler(silo).RunShardAsync(work, _shardCalls.Token));
    }

    /// <summary>Hands the report of a shard call (a dispatch or an adoption), or the exception of a lost one, to the loop.</summary>
    private async Task FollowAsync(int index, long token, string silo, Task<ShardReport> call)
    {
        try
        {
            _results.Writer.TryWrite(new DispatchResult(index, token, silo, await call, null));
        }
        catch (Exception e)
        {
            _results.Writer.TryWrite(new DispatchResult(index, token, silo, null, e));
        }
    }

    private async Task WaitForResultAsync()
    {
        using var tick = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        tick.CancelAfter(options.SchedulerTick);
        try
        {
            await _results.Reader.WaitToReadAsync(tick.Token);
        }
        catch (OperationCanceledException)
        {
            // Nothing came back within a tick: look at membership again.
        }
    }

    /// <summary>Counts the reports that carry their shard's current token.</summary>
    private void ApplyResults()
    {
        while (!Ledger.IsFinished && _failure is null && _results.Reader.TryRead(out var result))
        {
            var entry = _shards[result.Index];
            if (entry.Status != ShardStatus.Dispatched || entry.Token != result.Token)
            {
                LogStale(Id.Value, result.Index, result.Token, entry.Token);
                continue;
            }

            if (result.Error is { } error)
            {
                SetStatus(result.Index, ShardStatus.Pending);
                entry.Error = ShardRow.Clip($"lost on silo {result.Silo}: {error.GetType().Name}: {FirstLine(error.Message)}");
                _warm.Remove(result.Silo);
                CountRedispatch();
                LogLost(Id.Value, result.Index, result.Silo, error.GetType().Name);
                continue;
            }

            var report = result.Report!;
            switch (report.Outcome)
            {
                case ShardOutcome.Completed or ShardOutcome.AlreadyWritten:
                    SetStatus(result.Index, ShardStatus.Done);
                    entry.SamplesGenerated = report.SamplesGenerated;
                    entry.Resumed = report.Outcome == ShardOutcome.AlreadyWritten && entry.Attempts == 1;
                    _warm[result.Silo] = true;
                    break;
                case ShardOutcome.Released:
                    // Its silo is stopping (SIGTERM) but may still look active: send it nothing more.
                    SetStatus(result.Index, ShardStatus.Pending);
                    Charge(entry, -1);
                    _stopping.Add(result.Silo);
                    break;
                case ShardOutcome.Busy:
                    // The silo's slots stayed taken (other jobs' shards): not an attempt; give it a tick to drain.
                    SetStatus(result.Index, ShardStatus.Pending);
                    Charge(entry, -1);
                    _busyUntil[result.Silo] = DateTimeOffset.UtcNow + options.SchedulerTick;
                    break;
                case ShardOutcome.Cancelled or ShardOutcome.NotRunning:
                    // Stopped by a cancellation, or an adopted run that had already gone: not the shard's fault.
                    SetStatus(result.Index, ShardStatus.Pending);
                    Charge(entry, -1);
                    LogHandedBack(Id.Value, result.Index, result.Token, result.Silo, report.Outcome);
                    break;
                default:
                    SetStatus(result.Index, ShardStatus.Pending);
                    entry.Error = ShardRow.Clip(report.Error);
                    if (entry.Attempts >= _entry!.MaxAttempts)
                    {
                        _failure ??= $"shard {result.Index} failed {entry.Attempts} time(s): {report.Error}";
                    }

                    break;
            }
        }
    }

    private async Task FinalizeAsync()
    {
        Ledger.State = JobState.Finalizing;
        await SaveStateAsync();
        try
        {
            var seconds = (DateTimeOffset.UtcNow - Ledger.StartedAt).TotalSeconds;
            var generated = Ledger.SamplesGenerated + _shards.Sum(s => s.SamplesGenerated);
            var resumed = Ledger.ResumedShards + _shards.Count(s => s.Resumed);
            var work = new FinalizeWork(Id.Value, _entry!.Spec, seconds, generated, resumed);
            var summary = await Sampler(localSilo.SiloAddress.ToParsableString()).FinalizeAsync(work, _lifetime.Token);
            Ledger.Summary = summary;
            await EndAsync(JobState.Succeeded, error: null);
        }
        catch (Exception e) when (e is not (InconsistentStateException or ShardLedgerFencedException) && !_lifetime.IsCancellationRequested)
        {
            LogFinalizationFailed(e, Id.Value);
            await EndAsync(JobState.Failed, $"finalisation failed: {e.GetType().Name}: {FirstLine(e.Message)}");
        }
    }

    private async Task EndAsync(JobState state, string? error)
    {
        End(state, error);
        await SaveStateAsync();
        await UnregisterReminderAsync();
    }

    private void End(JobState state, string? error)
    {
        Ledger.State = state;
        Ledger.Error = error;
        Ledger.FinishedAt = DateTimeOffset.UtcNow;
        if (state is JobState.Failed or JobState.Cancelled)
        {
            CancelRunningShards();
        }
    }

    /// <summary>
    /// Stops the job's shards still running: this activation's calls are cancelled (Orleans carries the
    /// cancellation to the sampler, which stops within one model call), and every silo they were sent to is
    /// told to stop the job's shards, which also reaches runs an earlier activation left behind.
    /// </summary>
    private void CancelRunningShards()
    {
        _shardCalls.Cancel();
        foreach (var silo in _dispatched.Select(i => _shards[i].Silo!).Distinct(StringComparer.Ordinal).ToList())
        {
            _ = CancelOnAsync(silo);
        }
    }

    private async Task CancelOnAsync(string silo)
    {
        try
        {
            await Sampler(silo).CancelJobAsync(Id.Value, CancellationToken.None);
        }
        catch (Exception e)
        {
            // A dead silo runs nothing.
            LogCancelFailed(e, Id.Value, silo);
        }
    }

    /// <summary>
    /// Writes the rows of the shards that changed since the last write (one write at a time: the loop and
    /// grain calls interleave); a failed write leaves them marked, to go with the next one.
    /// </summary>
    private async Task SaveShardsAsync()
    {
        if (_changed.Count == 0)
        {
            await PublishAsync();
            return;
        }

        await _writing.WaitAsync();
        try
        {
            var rows = _changed.Select(i => _shards[i].ToRow(i)).ToList();
            await shardLedger.WriteAsync(Id, _epoch, rows, CancellationToken.None);
            _changed.Clear();
        }
        finally
        {
            _writing.Release();
        }

        await PublishAsync();
    }

    /// <summary>Writes the job-level state (grain storage; its ETag fences a stale twin).</summary>
    private async Task SaveStateAsync()
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

        await PublishAsync();
    }

    /// <summary>Tells the watchers and, when the figures changed, the job catalog.</summary>
    private async Task PublishAsync()
    {
        if (_observers.Count > 0)
        {
            var record = Record(_entry!);
            await _observers.Notify(o => o.OnProgressAsync(record));
        }

        await ReportToCatalogAsync();
    }

    /// <summary>
    /// Tells the job catalog the outstanding shards when they changed: at once when the job finishes, otherwise
    /// at most once per <see cref="CatalogReportPeriod"/> (a count held back goes with a later step or tick).
    /// </summary>
    private async Task ReportToCatalogAsync()
    {
        var report = (Outstanding: _shards.Length - _done, Finished: Ledger.IsFinished);
        if (_reported == report
            || (!report.Finished && _reported is { Finished: false } && Stopwatch.GetElapsedTime(_reportedAt) < CatalogReportPeriod))
        {
            return;
        }

        try
        {
            await catalog.ReportAsync(Id, report.Outstanding, report.Finished, CancellationToken.None);
            _reported = report;
            _reportedAt = Stopwatch.GetTimestamp();
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

    /// <summary>Asks each silo not seen yet whether its sampler for the model is warm (activating it costs no load); all at once, so a large cluster's first step waits for one round trip, not one per silo.</summary>
    private async Task LearnWarmthAsync(IReadOnlyList<string> silos)
    {
        var unknown = silos.Where(s => !_warm.ContainsKey(s)).ToList();
        var warm = await Task.WhenAll(unknown.Select(async silo =>
        {
            try
            {
                return await Sampler(silo).IsWarmAsync(_lifetime.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return false;
            }
        }));
        for (var i = 0; i < unknown.Count; i++)
        {
            _warm[unknown[i]] = warm[i];
        }
    }

    private ISamplerGrain Sampler(string silo) =>
        GrainFactory.GetGrain<ISamplerGrain>(new SamplerGrainKey(silo, _entry!.Spec.Model).ToGrainKey());

    private IShardFollowerGrain Follower(string silo) =>
        GrainFactory.GetGrain<IShardFollowerGrain>(new ShardFollowerKey(silo, Id.Value, _epoch).ToGrainKey());

    private JobRecord Record(CatalogEntry entry) => new(
        entry.Id.Value, entry.Spec, Ledger.State, _plan.Count, _done, _samplesDone,
        entry.CreatedAt, Ledger.FinishedAt, Ledger.Error, Ledger.Summary,
        localSilo.SiloAddress.ToParsableString(),
        Ledger.IsFinished ? new Dictionary<string, int>() : _dispatched.GroupBy(i => _shards[i].Silo!).ToDictionary(g => g.Key, g => g.Count()),
        _attempts);

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private sealed record DispatchResult(int Index, long Token, string Silo, ShardReport? Report, Exception? Error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler of job {Job} active: {Done}/{Shards} shards done, {Adopted} running shards adopted")]
    private partial void LogResumed(string job, int done, int shards, int adopted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: could not stop its shards on silo {Silo}")]
    private partial void LogCancelFailed(Exception error, string job, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: report of shard {Index} with token {Token} ignored (current token {Current})")]
    private partial void LogStale(string job, int index, long token, long current);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: shard {Index} (token {Token}) on silo {Silo}: {Outcome}; dispatching it again")]
    private partial void LogHandedBack(string job, int index, long token, string silo, ShardOutcome outcome);

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
