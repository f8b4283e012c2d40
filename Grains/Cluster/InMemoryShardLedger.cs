using OrleansFlow.Ids;

namespace OrleansFlow.Cluster;

/// <summary>The shard ledger of one process (embedded mode, a development silo, in-process test clusters).</summary>
public sealed class InMemoryShardLedger : IShardLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<JobId, (long Epoch, SortedDictionary<int, ShardRow> Rows)> _jobs = [];

    public Task<long> ClaimAsync(JobId job, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var epoch = _jobs.TryGetValue(job, out var entry) ? entry.Epoch + 1 : 1;
            _jobs[job] = (epoch, entry.Rows ?? []);
            return Task.FromResult(epoch);
        }
    }

    public Task<IReadOnlyList<ShardRow>> ReadAsync(JobId job, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<ShardRow> rows = _jobs.TryGetValue(job, out var entry) ? [.. entry.Rows.Values] : [];
            return Task.FromResult(rows);
        }
    }

    public Task WriteAsync(JobId job, long epoch, IReadOnlyCollection<ShardRow> rows, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_jobs.TryGetValue(job, out var entry) || entry.Epoch != epoch)
            {
                throw new ShardLedgerFencedException(job, epoch);
            }

            foreach (var row in rows)
            {
                entry.Rows[row.Index] = row;
            }
        }

        return Task.CompletedTask;
    }
}
