namespace OrleansFlow.Cluster;

/// <summary>
/// The shards a silo runs at once, whatever their model or job (each shard also parallelises its
/// batches): a scheduler may dispatch more, and the extra ones wait here.
/// </summary>
public sealed class ShardSlots(int workers) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(workers, workers);

    public int Workers => workers;

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
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
