using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using OrleansFlow.Cluster;
using OrleansFlow.Models;
using OrleansFlow.Sampling;

namespace OrleansFlow.Serving;

/// <summary>
/// The silo's generate batchers, one per (warm sampler, sampler spec, guidance): only requests that
/// would make the same model calls share a run. A sampler grain that reloaded its model gets new ones.
/// </summary>
public sealed class GenerateBatchers(GenerateExecutor executor, GenerateBatchOptions options)
{
    private readonly ConcurrentDictionary<(string Grain, string Sampler, double Guidance), (WarmModel Actor, GenerateBatcher Batcher)> _batchers = new();
    private readonly ConditionalWeakTable<IFlowModel, Lazy<bool>> _layouts = new();

    public GenerateExecutor Executor => executor;

    public GenerateBatcher For(string samplerGrainKey, WarmModel actor, BatchGenerator generator)
    {
        var key = (samplerGrainKey, generator.Sampler.ToString(), generator.Guidance);
        if (_batchers.TryGetValue(key, out var found) && ReferenceEquals(found.Actor, actor))
        {
            return found.Batcher;
        }

        var layout = _layouts.GetValue(actor.Model, model => new Lazy<bool>(() => Probe(model)));
        var created = (actor, new GenerateBatcher(actor.Model.Info.Name, executor, options, layout));
        return _batchers.AddOrUpdate(key, created, (_, old) => ReferenceEquals(old.Actor, actor) ? old : created).Batcher;
    }

    private static bool Probe(IFlowModel model)
    {
        try
        {
            return RowLayoutProbe.RowsIndependentOfLayout(model);
        }
        catch (Exception)
        {
            // A model the probe cannot run fails its requests on their own; it just never shares runs.
            return false;
        }
    }
}
