using OrleansFlow.Tensors;

namespace OrleansFlow.Models;

/// <summary>
/// A velocity model v(x, t, label) in the SiT/FlowTurbo convention (t = 0 noise, t = 1 data), bound
/// to the backend that holds its tensors. Implementations must be safe for concurrent calls.
/// </summary>
public interface IFlowModel
{
    ModelInfo Info { get; }

    ITensorBackend Backend { get; }

    /// <summary>The FlowTurbo velocity refiner, or null when the model has none.</summary>
    IVelocityRefiner? Refiner { get; }

    /// <summary>Maps sampled latents to images (a VAE decoder), or null when samples are already images.</summary>
    ISampleDecoder? Decoder => null;

    /// <summary>
    /// Velocity at time <paramref name="t"/> for each sample of <paramref name="x"/>; <paramref name="labels"/>
    /// has one label per sample (<see cref="ModelInfo.NullClass"/> = unconditional) or is empty for an
    /// unconditional model.
    /// </summary>
    ITensor Velocity(ITensor x, double t, ReadOnlySpan<int> labels);
}
