using OrleansFlow.Tensors;

namespace OrleansFlow.Sampling;

/// <summary>Integrates the flow ODE from noise x0 at t = 0 to a sample x1 at t = 1.</summary>
public interface IFlowSampler
{
    SamplerSpec Spec { get; }

    /// <summary>Returns x1; <paramref name="x0"/> is left untouched and still owned by the caller.</summary>
    ITensor Sample(ITensor x0, GuidedVelocity velocity);
}
