using System.Globalization;
using OrleansFlow.Cluster;

namespace OrleansFlow.Silo.Hosting;

/// <summary>The <c>OrleansFlow:PoisonShard</c> test device: <c>"SEED/INDEX"</c>.</summary>
public static class PoisonShard
{
    public static Func<ShardWork, Exception?>? Parse(string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return null;
        }

        var parts = setting.Split('/');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
        {
            throw new SpecException("OrleansFlow:PoisonShard", $"'{setting}' is not SEED/INDEX");
        }

        return work => work.Spec.Seed == seed && work.Range.Index == index
            ? new InvalidOperationException($"poison shard {index} of seed {seed} (test device)")
            : null;
    }
}
