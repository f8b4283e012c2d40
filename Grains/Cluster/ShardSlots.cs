namespace OrleansFlow.Cluster;

/// <summary>
/// The slots of one silo: the shards it runs at once, shared by every job and model on the silo (each
/// shard also parallelises its batches). A shard that finds every slot taken waits in its job's queue,
/// and a freed slot goes to the jobs in turn — round robin over the jobs with shards waiting, first come
/// first served within a job — so a job that dispatched many shards cannot crowd out one that dispatched
/// few. A wait is bounded (<see cref="OrleansFlowOptions.MaxQueueWait"/>): a shard not admitted by then is
/// handed back unstarted, far inside any call timeout, and its scheduler tries again later.
/// </summary>
public sealed class ShardSlots
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedList<TaskCompletionSource<bool>>> _queues = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _turns = new();
    private int _free;

    public ShardSlots(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Workers = workers;
        _free = workers;
    }

    public int Workers { get; }

    /// <summary>Shards waiting for a slot, across jobs.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _queues.Values.Sum(q => q.Count);
            }
        }
    }

    /// <summary>A slot for one of <paramref name="job"/>'s shards (dispose it to free it), or null when none came free within <paramref name="maxWait"/>.</summary>
    public async Task<IDisposable?> EnterAsync(string job, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (_lock)
        {
            if (_free > 0 && _turns.Count == 0)
            {
                _free--;
                return new Slot(this);
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_queues.TryGetValue(job, out var queue))
            {
                _queues[job] = queue = new LinkedList<TaskCompletionSource<bool>>();
                _turns.AddLast(job);
            }

            node = queue.AddLast(waiter);
        }

        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        giveUp.CancelAfter(maxWait);
        await using (giveUp.Token.Register(() => waiter.TrySetResult(false)))
        {
            if (await waiter.Task)
            {
                return new Slot(this);
            }
        }

        lock (_lock)
        {
            // Granting skips waiters that gave up; this one may still be queued.
            if (node.List is { } queue)
            {
                queue.Remove(node);
                if (queue.Count == 0)
                {
                    _queues.Remove(job);
                    _turns.Remove(job);
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return null;
    }

    private void Release()
    {
        lock (_lock)
        {
            while (_turns.First is { } turn)
            {
                var job = turn.Value;
                _turns.RemoveFirst();
                var queue = _queues[job];
                var waiter = queue.First!.Value;
                queue.RemoveFirst();
                if (queue.Count > 0)
                {
                    _turns.AddLast(job);
                }
                else
                {
                    _queues.Remove(job);
                }

                if (waiter.TrySetResult(true))
                {
                    return;
                }
            }

            _free++;
        }
    }

    private sealed class Slot(ShardSlots slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
