using Orleans.Runtime;

namespace OrleansFlow.Cluster;

/// <summary>The silos work can be sent to, as the job scheduler and the precision/recall dispatch both see them.</summary>
public static class ActiveSilos
{
    /// <summary>The Active members' addresses (parsable strings, the sampler grains' keys), in a fixed order.</summary>
    public static List<string> Of(IClusterMembershipService membership) =>
        [.. membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.ToParsableString())
            .Order(StringComparer.Ordinal)];
}
