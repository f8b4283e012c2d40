using OrleansFlow.Tensors;

namespace OrleansFlow.Sampling;

/// <summary>N Euler steps on the uniform grid t_k = k/N: x ← x + h·v(x, t_k).</summary>
public sealed class EulerSampler(SamplerSpec spec) : IFlowSampler
{
    public SamplerSpec Spec => spec;

    public ITensor Sample(ITensor x0, GuidedVelocity velocity)
    {
        var backend = velocity.Backend;
        var h = 1.0 / spec.Steps;
        var x = backend.Copy(x0);
        for (var k = 0; k < spec.Steps; k++)
        {
            using var d = velocity.Predict(x, k * h);
            using var previous = x;
            x = backend.Add(previous, h, d);
        }

        return x;
    }
}
