namespace OrleansFlow.Cluster;

/// <summary>
/// The shards running on this silo, by (job, shard): a silo singleton rather than a sampler grain's field,
/// so that a run stays findable — for adoption by a new scheduler activation (<see cref="ShardFollowerGrain"/>), or
/// cancellation — from any grain on the silo, whichever activation of the sampler grain started it (Orleans may
/// activate a second one when the directory entry of the first was on a silo that died).
/// </summary>
public sealed class RunningShards
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Job, int Index), RunningShard> _runs = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _runs.Count;
            }
        }
    }

    /// <summary>
    /// The run of the shard under <paramref name="token"/>: the one already going (a resent call joins it), else
    /// a new one started by <paramref name="run"/> with a token of its own, linked to <paramref name="stopping"/>.
    /// </summary>
    public RunningShard GetOrStart(string job, int index, long token, CancellationToken stopping, Func<CancellationToken, Task<ShardReport>> run)
    {
        RunningShard shard;
        lock (_lock)
        {
            if (_runs.TryGetValue((job, index), out var existing) && existing.Token == token)
            {
                return existing;
            }

            shard = new RunningShard(token, CancellationTokenSource.CreateLinkedTokenSource(stopping));
            _runs[(job, index)] = shard;
        }

        shard.Report = TrackAsync(job, index, shard, run);
        return shard;
    }

    /// <summary>The run of the shard under <paramref name="token"/>, null when there is none on this silo.</summary>
    public RunningShard? Find(string job, int index, long token)
    {
        lock (_lock)
        {
            return _runs.TryGetValue((job, index), out var shard) && shard.Token == token ? shard : null;
        }
    }

    /// <summary>Stops every run of the job; returns how many there were.</summary>
    public int CancelJob(string job)
    {
        List<RunningShard> runs;
        lock (_lock)
        {
            runs = [.. _runs.Where(r => r.Key.Job == job).Select(r => r.Value)];
        }

        foreach (var run in runs)
        {
            run.Cancel();
        }

        return runs.Count;
    }

    private async Task<ShardReport> TrackAsync(string job, int index, RunningShard shard, Func<CancellationToken, Task<ShardReport>> run)
    {
        try
        {
            return await run(shard.Stop.Token);
        }
        finally
        {
            lock (_lock)
            {
                if (_runs.TryGetValue((job, index), out var current) && current == shard)
                {
                    _runs.Remove((job, index));
                }
            }

            shard.Stop.Dispose();
        }
    }
}

/// <summary>One run of a shard and the calls following it; cancelled when any follower cancels.</summary>
public sealed class RunningShard(long token, CancellationTokenSource stop)
{
    public long Token => token;

    internal CancellationTokenSource Stop => stop;

    public Task<ShardReport> Report { get; internal set; } = Task.FromResult(new ShardReport(ShardOutcome.NotRunning, 0));

    public void Cancel()
    {
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    /// <summary>The run's report; cancelling <paramref name="cancellationToken"/> stops the run.</summary>
    public async Task<ShardReport> FollowAsync(CancellationToken cancellationToken)
    {
        await using var cancel = cancellationToken.Register(Cancel);
        return await Report;
    }
}
