using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace OrleansFlow.Cluster;

/// <summary>
/// Places a sampler grain on the silo named in its key (<see cref="SamplerGrainKey.Silo"/>), and a
/// manifold worker on its <see cref="ManifoldWorkerKey.Silo"/> (both keys are <c>&lt;silo&gt;|&lt;rest&gt;</c>). This gives
/// one warm sampler per (model, silo) that a scheduler on any silo can address: a
/// <c>[StatelessWorker(1)]</c> grain would also be one per silo, but Orleans always activates those on
/// the caller's silo, so a scheduler could never send a shard to another silo's warm model.
/// </summary>
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    internal static readonly SiloPinnedPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute : PlacementAttribute
{
    public SiloPinnedPlacementAttribute()
        : base(SiloPinnedPlacement.Instance)
    {
    }
}

/// <summary>
/// Refuses to place the grain elsewhere when the named silo is not an active member: the caller
/// then sees the silo as gone and dispatches to a live one.
/// </summary>
public sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = SamplerGrainKey.Parse(target.GrainIdentity.Key.ToString()!);
        var silo = context.GetCompatibleSilos(target).FirstOrDefault(s => s.ToParsableString() == key.Silo);
        return silo is not null
            ? Task.FromResult(silo)
            : throw new SiloUnavailableException($"silo {key.Silo} is not an active member: grain {target.GrainIdentity} cannot be placed there");
    }
}
