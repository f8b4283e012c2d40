using System.Diagnostics;
using OrleansFlow.Ids;
using OrleansFlow.Models;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Actors;

/// <summary>
/// The silo's sampler actors by model: activates on first use (concurrent first users share one
/// load), deactivates actors idle longer than <see cref="SamplerDirectoryOptions.IdleTimeout"/>, and
/// evicts least-recently-used idle actors while the total exceeds the memory budget.
/// </summary>
public sealed class SamplerDirectory(SamplerDirectoryOptions options, TimeProvider? clock = null, Func<string, IFlowModel>? loader = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Func<string, IFlowModel> _load = loader ?? ModelCatalog.Load;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Lazy<SamplerActor>> _actors = new(StringComparer.Ordinal);

    /// <summary>Activations so far (a model load each).</summary>
    public int Activations { get; private set; }

    /// <summary>The (model, resolution) keys held warm now, announced with each heartbeat.</summary>
    public IReadOnlyList<SamplerKey> WarmKeys
    {
        get
        {
            lock (_lock)
            {
                return [.. _actors.Values.Where(a => a.IsValueCreated).Select(a => a.Value.Key)];
            }
        }
    }

    /// <summary>The actor for <paramref name="model"/>, activating it if needed; throws <see cref="SpecException"/> for an unknown model.</summary>
    public SamplerActor Get(string model)
    {
        Lazy<SamplerActor> actor;
        lock (_lock)
        {
            if (!_actors.TryGetValue(model, out actor!))
            {
                actor = new Lazy<SamplerActor>(() => Activate(model), LazyThreadSafetyMode.ExecutionAndPublication);
                _actors[model] = actor;
            }
        }

        try
        {
            var value = actor.Value;
            value.Touch();
            EnforceBudget(except: value);
            return value;
        }
        catch
        {
            lock (_lock)
            {
                // A failed activation is not cached: the next use tries again (the file may be fixed).
                if (_actors.TryGetValue(model, out var current) && ReferenceEquals(current, actor))
                {
                    _actors.Remove(model);
                }
            }

            throw;
        }
    }

    /// <summary>Deactivates actors idle for longer than the idle timeout; returns how many.</summary>
    public int DeactivateIdle()
    {
        var cutoff = _clock.GetUtcNow() - options.IdleTimeout;
        lock (_lock)
        {
            var idle = _actors.Where(a => a.Value.IsValueCreated && !a.Value.Value.InUse && a.Value.Value.LastUsed < cutoff).Select(a => a.Key).ToList();
            idle.ForEach(key => _actors.Remove(key));
            OrleansFlowMetrics.WarmSamplers.Add(-idle.Count);
            return idle.Count;
        }
    }

    private SamplerActor Activate(string model)
    {
        var clock = Stopwatch.StartNew();
        var loaded = _load(model);
        lock (_lock)
        {
            Activations++;
        }

        OrleansFlowMetrics.ModelLoadDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("model", model));
        OrleansFlowMetrics.WarmSamplers.Add(1);

        return new SamplerActor(loaded, clock.Elapsed, _clock);
    }

    private void EnforceBudget(SamplerActor except)
    {
        lock (_lock)
        {
            var live = _actors.Where(a => a.Value.IsValueCreated).ToList();
            var total = live.Sum(a => a.Value.Value.EstimatedBytes);
            foreach (var (key, actor) in live.OrderBy(a => a.Value.Value.LastUsed))
            {
                if (total <= options.MemoryBudgetBytes)
                {
                    break;
                }

                if (!actor.Value.InUse && !ReferenceEquals(actor.Value, except))
                {
                    _actors.Remove(key);
                    OrleansFlowMetrics.WarmSamplers.Add(-1);
                    total -= actor.Value.EstimatedBytes;
                }
            }
        }
    }
}
