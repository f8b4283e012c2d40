using OrleansFlow.Tensors;

namespace OrleansFlow.Sampling;

/// <summary>InstaFlow's one-step sampling of a reflowed, distilled model: x1 = x0 + v(x0, 0).</summary>
public sealed class OneStepSampler(SamplerSpec spec) : IFlowSampler
{
    public SamplerSpec Spec => spec;

    public ITensor Sample(ITensor x0, GuidedVelocity velocity)
    {
        using var v = velocity.Predict(x0, 0);
        return velocity.Backend.Add(x0, 1, v);
    }
}
