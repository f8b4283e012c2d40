using OrleansFlow.Ids;
using OrleansFlow.Models;

namespace OrleansFlow.Actors;

/// <summary>
/// One warm model instance for a (model, resolution), as an Orleans grain would hold it: loaded on
/// first use, shared by every shard and request that needs it, deactivated when idle or evicted
/// when the memory budget is exceeded.
/// </summary>
public sealed class SamplerActor
{
    private readonly TimeProvider _clock;
    private int _users;
    private long _lastUsedTicks;

    public SamplerActor(IFlowModel model, TimeSpan loadTime, TimeProvider clock)
    {
        Model = model;
        LoadTime = loadTime;
        _clock = clock;
        Touch();
    }

    public SamplerKey Key => Model.Info.Key;

    public IFlowModel Model { get; }

    /// <summary>How long activation (loading the model) took.</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>Rough resident size, for the memory budget.</summary>
    public long EstimatedBytes => Model is IHasMemoryFootprint sized ? sized.EstimatedBytes : 1L << 20;

    public DateTimeOffset LastUsed => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);

    public bool InUse => Volatile.Read(ref _users) > 0;

    /// <summary>Marks the actor busy until the returned handle is disposed (a busy actor is never evicted).</summary>
    public IDisposable Use()
    {
        Interlocked.Increment(ref _users);
        Touch();
        return new Lease(this);
    }

    private void Touch() => Interlocked.Exchange(ref _lastUsedTicks, _clock.GetUtcNow().UtcTicks);

    private sealed class Lease(SamplerActor actor) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                actor.Touch();
                Interlocked.Decrement(ref actor._users);
            }
        }
    }
}
