using OrleansFlow.Ids;

namespace OrleansFlow.Cluster;

/// <summary>The job catalog of one process (embedded mode, a development silo, in-process test clusters).</summary>
public sealed class InMemoryJobCatalog(TimeProvider? clock = null) : IJobCatalog
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly List<CatalogEntry> _entries = [];
    private readonly Dictionary<string, CatalogEntry> _byKey = new(StringComparer.Ordinal);
    private readonly HashSet<JobId> _finished = [];

    public Task<CatalogAdd> AddAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (submission.IdempotencyKey is { } key && _byKey.TryGetValue(key, out var existing))
            {
                return Task.FromResult(new CatalogAdd(existing, Created: false));
            }

            var entry = new CatalogEntry(submission.Id, submission.Spec, submission.MaxAttempts, _clock.GetUtcNow());
            _entries.Add(entry);
            if (submission.IdempotencyKey is { } newKey)
            {
                _byKey[newKey] = entry;
            }

            return Task.FromResult(new CatalogAdd(entry, Created: true));
        }
    }

    public Task<CatalogEntry?> GetAsync(JobId id, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_entries.Find(e => e.Id == id));
        }
    }

    public Task<IReadOnlyList<JobId>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<JobId>>([.. Enumerable.Reverse(_entries).Take(limit).Select(e => e.Id)]);
        }
    }

    public Task<IReadOnlyList<JobId>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<JobId>>([.. _entries.Select(e => e.Id).Where(id => !_finished.Contains(id))]);
        }
    }

    public Task ReportAsync(JobId id, int outstandingShards, bool finished, CancellationToken cancellationToken)
    {
        if (finished)
        {
            lock (_lock)
            {
                _finished.Add(id);
            }
        }

        return Task.CompletedTask;
    }
}
