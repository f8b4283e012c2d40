
namespace OrleansFlow.Cluster;

/// <summary>
/// The models loaded by this silo's sampler grains, for the memory budget: when a load takes the
/// total over <see cref="OrleansFlowOptions.SamplerMemoryBudgetBytes"/>, the least recently used
/// other samplers are named for eviction (a busy one declines, so the budget is soft while all run).
/// It also lets <c>/v1/generate</c> sample on the model its silo's sampler grain holds, without
/// passing samples through grain messages.
/// </summary>
public sealed class WarmSamplers(OrleansFlowOptions options, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (WarmModel Model, long LastUsed)> _loaded = new(StringComparer.Ordinal);

    /// <summary>Loaded models on this silo.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _loaded.Count;
            }
        }
    }

    /// <summary>Records a load; returns the grain keys to evict, least recently used first.</summary>
    public IReadOnlyList<string> Loaded(string grainKey, WarmModel warmModel)
    {
        lock (_lock)
        {
            _loaded[grainKey] = (warmModel, clock.GetUtcNow().UtcTicks);
            var total = _loaded.Values.Sum(v => v.Model.EstimatedBytes);
            var evict = new List<string>();
            foreach (var (key, value) in _loaded.Where(e => e.Key != grainKey).OrderBy(e => e.Value.LastUsed))
            {
                if (total <= options.SamplerMemoryBudgetBytes)
                {
                    break;
                }

                evict.Add(key);
                total -= value.Model.EstimatedBytes;
            }

            return evict;
        }
    }

    public void Touch(string grainKey)
    {
        lock (_lock)
        {
            if (_loaded.TryGetValue(grainKey, out var value))
            {
                _loaded[grainKey] = (value.Model, clock.GetUtcNow().UtcTicks);
            }
        }
    }

    /// <summary>The loaded model of a sampler grain on this silo, or null when it is not loaded.</summary>
    public WarmModel? Find(string grainKey)
    {
        lock (_lock)
        {
            return _loaded.TryGetValue(grainKey, out var value) ? value.Model : null;
        }
    }

    public void Unloaded(string grainKey)
    {
        lock (_lock)
        {
            _loaded.Remove(grainKey);
        }
    }
}
