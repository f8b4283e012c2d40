using System.Globalization;
using OrleansFlow.Ids;
using OrleansFlow.Tensors;

namespace OrleansFlow.Models;

/// <summary>
/// Test and bench device: <c>sleep-MS</c>, a 1×1×1 unconditional model whose every velocity call sleeps
/// MS milliseconds and returns zeros, so a shard costs a fixed wall time without using a core. With
/// <c>euler:steps=1</c> and a batch size equal to the shard size each shard is one call: MS per shard,
/// which lets many silo processes on one small machine stand in for a large cluster (issue 16, item 7).
/// Loaded only through <see cref="Cluster.TestModelLoader"/>, which a silo registers only when its
/// <c>TestModels</c> setting is on.
/// </summary>
public sealed class SleepFlowModel : IFlowModel
{
    public const string Prefix = "sleep-";

    /// <summary>Longest sleep accepted, so a typo cannot park a worker for hours.</summary>
    public const int MaxMilliseconds = 60_000;

    private readonly TimeSpan _callTime;

    private SleepFlowModel(string name, int milliseconds)
    {
        Info = new ModelInfo(name, new Resolution(1, 1, 1), ClassCount: 0);
        _callTime = TimeSpan.FromMilliseconds(milliseconds);
    }

    public ModelInfo Info { get; }

    public ITensorBackend Backend => CpuTensorBackend.Instance;

    public IVelocityRefiner? Refiner => null;

    /// <summary>The model for <c>sleep-MS</c> (0 ≤ MS ≤ <see cref="MaxMilliseconds"/>), else false.</summary>
    public static bool TryCreate(string name, out SleepFlowModel? model)
    {
        model = null;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)
            || !int.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            || milliseconds > MaxMilliseconds)
        {
            return false;
        }

        model = new SleepFlowModel(name, milliseconds);
        return true;
    }

    public ITensor Velocity(ITensor x, double t, ReadOnlySpan<int> labels)
    {
        // Blocks the worker's thread, not a core: the point of the device.
        Thread.Sleep(_callTime);
        return Backend.Add(x, -1, x);
    }
}
