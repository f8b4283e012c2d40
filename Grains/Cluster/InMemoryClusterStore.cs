using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// The cluster store of the embedded mode: the same contract as PostgreSQL, kept under one lock.
/// Time comes from a <see cref="TimeProvider"/> so tests can move the clock.
/// </summary>
public sealed class InMemoryClusterStore(TimeProvider? clock = null) : IClusterStore
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<JobId, Job> _jobs = [];
    private readonly Dictionary<string, JobId> _idempotencyKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private long _sequence;

    public Task MigrateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    public Task HeartbeatAsync(NodeInfo node, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var now = Now;
            var started = _nodes.TryGetValue(node.NodeId, out var existing) ? existing.StartedAt : now;
            _nodes[node.NodeId] = new NodeRecord(node, started, now);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<NodeRecord>> ListNodesAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var since = Now - maxAge;
            return Task.FromResult<IReadOnlyList<NodeRecord>>([.. _nodes.Values.Where(n => n.LastHeartbeat >= since).OrderBy(n => n.Node.NodeId, StringComparer.Ordinal)]);
        }
    }

    public Task<SubmitResult> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        var (id, spec, key, idempotencyKey, maxAttempts) = submission;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        lock (_lock)
        {
            if (idempotencyKey is not null && _idempotencyKeys.TryGetValue(idempotencyKey, out var existing))
            {
                return Task.FromResult(new SubmitResult(_jobs[existing].ToRecord(), Created: false));
            }

            if (_jobs.ContainsKey(id))
            {
                throw new InvalidOperationException($"job {id} already exists");
            }

            var job = new Job(id, spec, key, maxAttempts, Now, ++_sequence);
            _jobs[id] = job;
            if (idempotencyKey is not null)
            {
                _idempotencyKeys[idempotencyKey] = id;
            }

            return Task.FromResult(new SubmitResult(job.ToRecord(), Created: true));
        }
    }

    public Task<JobRecord?> GetJobAsync(JobId id, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_jobs.TryGetValue(id, out var job) ? job.ToRecord() : null);
        }
    }

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<JobRecord>>([.. _jobs.Values.OrderByDescending(j => j.Sequence).Take(limit).Select(j => j.ToRecord())]);
        }
    }

    public Task<bool> CancelJobAsync(JobId id, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_jobs.TryGetValue(id, out var job) || job.IsFinished)
            {
                return Task.FromResult(false);
            }

            job.Finish(JobState.Cancelled, Now, error: null);
            foreach (var shard in job.Shards.Where(s => s.State == ShardState.Leased))
            {
                shard.EndLease(ShardState.Pending);
            }

            return Task.FromResult(true);
        }
    }

    public Task<ShardLease?> ClaimShardAsync(string nodeId, IReadOnlyCollection<SamplerKey> warm, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var now = Now;
            while (true)
            {
                if (NextClaimable(warm, now) is not var (job, shard))
                {
                    return Task.FromResult<ShardLease?>(null);
                }

                if (shard.State == ShardState.Leased && shard.Attempts >= job.MaxAttempts)
                {
                    // Its holder died on every attempt (e.g. a shard that crashes its silo): stop retrying.
                    shard.EndLease(ShardState.Failed);
                    shard.Error = $"shard {shard.Range.Index}: lease expired on each of {shard.Attempts} attempts";
                    job.Finish(JobState.Failed, now, shard.Error);
                    continue;
                }

                var reclaimed = shard.State == ShardState.Leased;
                shard.State = ShardState.Leased;
                shard.Owner = nodeId;
                shard.Token++;
                shard.Attempts++;
                shard.ExpiresAt = now + ttl;
                return Task.FromResult<ShardLease?>(new ShardLease(
                    new ShardId(job.Id, shard.Range.Index), shard.Range, job.Spec, nodeId, shard.Token, shard.Attempts, shard.ExpiresAt, reclaimed));
            }
        }
    }

    public Task<ShardCounts> CountShardsAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var open = _jobs.Values.Where(j => j.State == JobState.Running).SelectMany(j => j.Shards).ToList();
            return Task.FromResult(new ShardCounts(open.Count(s => s.State == ShardState.Pending), open.Count(s => s.State == ShardState.Leased)));
        }
    }

    public Task<bool> RenewShardAsync(ShardLease lease, TimeSpan ttl, CancellationToken cancellationToken) =>
        WithLiveLease(lease, (_, shard, now) =>
        {
            shard.ExpiresAt = now + ttl;
            return true;
        });

    public Task<bool> CompleteShardAsync(ShardLease lease, CancellationToken cancellationToken) =>
        WithLiveLease(lease, (job, shard, _) =>
        {
            shard.EndLease(ShardState.Done);
            return true;
        });

    public Task<bool> ReleaseShardAsync(ShardLease lease, CancellationToken cancellationToken) =>
        WithLiveLease(lease, (_, shard, _) =>
        {
            shard.Attempts--;
            shard.EndLease(ShardState.Pending);
            return true;
        });

    public Task<bool> FailShardAsync(ShardLease lease, string error, CancellationToken cancellationToken) =>
        WithLiveLease(lease, (job, shard, now) =>
        {
            shard.Error = error;
            if (shard.Attempts >= job.MaxAttempts)
            {
                shard.EndLease(ShardState.Failed);
                job.Finish(JobState.Failed, now, $"shard {shard.Range.Index} failed {shard.Attempts} times: {error}");
            }
            else
            {
                shard.EndLease(ShardState.Pending);
            }

            return true;
        });

    public Task<int> LeaveAsync(string nodeId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var released = 0;
            foreach (var shard in _jobs.Values.SelectMany(j => j.Shards).Where(s => s.State == ShardState.Leased && s.Owner == nodeId))
            {
                shard.Attempts--;
                shard.EndLease(ShardState.Pending);
                released++;
            }

            foreach (var job in _jobs.Values.Where(j => j.State == JobState.Finalizing && j.FinalizeOwner == nodeId))
            {
                job.FinalizeExpiresAt = DateTimeOffset.MinValue;
            }

            _nodes.Remove(nodeId);
            return Task.FromResult(released);
        }
    }

    public Task<FinalizeLease?> ClaimFinalizationAsync(string nodeId, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var now = Now;
            var job = _jobs.Values
                .Where(j => (j.State == JobState.Running && j.Shards.All(s => s.State == ShardState.Done))
                    || (j.State == JobState.Finalizing && j.FinalizeExpiresAt <= now))
                .OrderBy(j => j.Sequence)
                .FirstOrDefault();
            if (job is null)
            {
                return Task.FromResult<FinalizeLease?>(null);
            }

            job.State = JobState.Finalizing;
            job.FinalizeOwner = nodeId;
            job.FinalizeToken++;
            job.FinalizeExpiresAt = now + ttl;
            return Task.FromResult<FinalizeLease?>(new FinalizeLease(job.Id, job.Spec, nodeId, job.FinalizeToken, job.FinalizeExpiresAt));
        }
    }

    public Task<bool> CompleteJobAsync(FinalizeLease lease, JobSummary summary, CancellationToken cancellationToken) =>
        WithFinalizeLease(lease, (job, now) =>
        {
            job.Summary = summary;
            job.Finish(JobState.Succeeded, now, error: null);
        });

    public Task<bool> FailJobAsync(FinalizeLease lease, string error, CancellationToken cancellationToken) =>
        WithFinalizeLease(lease, (job, now) => job.Finish(JobState.Failed, now, error));

    private DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>
    /// Warm first, then lowest shard index, then oldest job. Shards are held in index order, so each
    /// job's first claimable shard is its best: one pass over the jobs finds the answer.
    /// </summary>
    private (Job Job, Shard Shard)? NextClaimable(IReadOnlyCollection<SamplerKey> warm, DateTimeOffset now)
    {
        (Job Job, Shard Shard)? best = null;
        (int, int, long) bestKey = default;
        foreach (var job in _jobs.Values.Where(j => j.State == JobState.Running))
        {
            if (job.Shards.FirstOrDefault(s => s.IsClaimable(now)) is not { } shard)
            {
                continue;
            }

            var key = (warm.Contains(job.Key) ? 0 : 1, shard.Range.Index, job.Sequence);
            if (best is null || key.CompareTo(bestKey) < 0)
            {
                (best, bestKey) = ((job, shard), key);
            }
        }

        return best;
    }

    private Task<bool> WithLiveLease(ShardLease lease, Func<Job, Shard, DateTimeOffset, bool> action)
    {
        lock (_lock)
        {
            var now = Now;
            if (!_jobs.TryGetValue(lease.Shard.Job, out var job) || job.State != JobState.Running)
            {
                return Task.FromResult(false);
            }

            var shard = job.Shards[lease.Shard.Index];
            var live = shard.State == ShardState.Leased && shard.Token == lease.Token && shard.ExpiresAt > now;
            return Task.FromResult(live && action(job, shard, now));
        }
    }

    private Task<bool> WithFinalizeLease(FinalizeLease lease, Action<Job, DateTimeOffset> action)
    {
        lock (_lock)
        {
            var now = Now;
            if (!_jobs.TryGetValue(lease.Job, out var job) || job.State != JobState.Finalizing
                || job.FinalizeToken != lease.Token || job.FinalizeExpiresAt <= now)
            {
                return Task.FromResult(false);
            }

            action(job, now);
            return Task.FromResult(true);
        }
    }

    private enum ShardState
    {
        Pending,
        Leased,
        Done,
        Failed,
    }

    private sealed class Shard(ShardRange range)
    {
        public ShardRange Range { get; } = range;

        public ShardState State { get; set; }

        public string? Owner { get; set; }

        public long Token { get; set; }

        public int Attempts { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public string? Error { get; set; }

        public bool IsClaimable(DateTimeOffset now) => State == ShardState.Pending || (State == ShardState.Leased && ExpiresAt <= now);

        public void EndLease(ShardState next)
        {
            State = next;
            Owner = null;
        }
    }

    private sealed class Job(JobId id, JobSpec spec, SamplerKey key, int maxAttempts, DateTimeOffset createdAt, long sequence)
    {
        public JobId Id { get; } = id;

        public JobSpec Spec { get; } = spec;

        public SamplerKey Key { get; } = key;

        public int MaxAttempts { get; } = maxAttempts;

        public long Sequence { get; } = sequence;

        public Shard[] Shards { get; } = [.. ShardRange.Plan(spec).Select(r => new Shard(r))];

        public JobState State { get; set; } = JobState.Running;

        public DateTimeOffset? FinishedAt { get; private set; }

        public string? Error { get; private set; }

        public JobSummary? Summary { get; set; }

        public string? FinalizeOwner { get; set; }

        public long FinalizeToken { get; set; }

        public DateTimeOffset FinalizeExpiresAt { get; set; }

        public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

        public void Finish(JobState state, DateTimeOffset now, string? error)
        {
            State = state;
            FinishedAt = now;
            Error = error;
        }

        public JobRecord ToRecord()
        {
            var done = Shards.Where(s => s.State == ShardState.Done).ToList();
            return new JobRecord(Id, Spec, State, Shards.Length, done.Count, done.Sum(s => (long)s.Range.Count), createdAt, FinishedAt, Error, Summary);
        }
    }
}
