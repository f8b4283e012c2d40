using System.Collections.Concurrent;
using OrleansFlow.Ids;
using OrleansFlow.Models;

namespace OrleansFlow.Cluster;

/// <summary>
/// The loaded model a <see cref="SamplerGrain"/> holds on its silo: loaded on the grain's first use, shared
/// by every shard and <c>/v1/generate</c> request of that model there (<see cref="WarmSamplers"/> finds it),
/// warmed for the batch shapes of the jobs it serves, marked busy while used so that the silo's memory
/// budget never evicts it mid-shard, and dropped with its grain.
/// </summary>
public sealed class WarmModel
{
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<int, bool> _agreedShapes = new();
    private int _users;
    private long _lastUsedTicks;

    public WarmModel(IFlowModel model, TimeSpan loadTime, TimeProvider clock)
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

    /// <summary>
    /// Warms the model for the batch shapes a job will run (its batch size, doubled when guidance
    /// evaluates both halves in one call) before the first shard is served; a no-op for models that
    /// need no warm-up and for shapes already warm.
    /// </summary>
    public IReadOnlyList<WarmupLatency> WarmFor(Jobs.JobSpec spec) =>
        Model is IWarmable warmable ? warmable.WarmUp(BatchShapes(spec)) : [];

    /// <summary>The batch sizes a job's model calls have: its batch size, and twice it when guidance evaluates both halves in one call.</summary>
    public IReadOnlyList<int> BatchShapes(Jobs.JobSpec spec)
    {
        var batch = Math.Min(spec.BatchSize, Math.Min(spec.ShardSize, spec.Samples));
        var guided = spec.Guidance != 1 && Model.Info.IsConditional && !spec.Unconditional;
        return guided ? [batch, 2 * batch] : [batch];
    }

    /// <summary>Whether every batch shape of <paramref name="shapes"/> runs a compiled form agreed with the cluster (<see cref="SharedCompilation"/>).</summary>
    public bool Agreed(IEnumerable<int> shapes) => shapes.All(_agreedShapes.ContainsKey);

    public void MarkAgreed(IEnumerable<int> shapes)
    {
        foreach (var shape in shapes)
        {
            _agreedShapes[shape] = true;
        }
    }

    /// <summary>Marks the warmModel busy until the returned handle is disposed (a busy warmModel is never evicted).</summary>
    public IDisposable Use()
    {
        Interlocked.Increment(ref _users);
        Touch();
        return new Lease(this);
    }

    /// <summary>Records an access for least-recently-used eviction.</summary>
    internal void Touch() => Interlocked.Exchange(ref _lastUsedTicks, _clock.GetUtcNow().UtcTicks);

    private sealed class Lease(WarmModel warmModel) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                warmModel.Touch();
                Interlocked.Decrement(ref warmModel._users);
            }
        }
    }
}
