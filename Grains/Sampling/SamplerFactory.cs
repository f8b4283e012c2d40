namespace OrleansFlow.Sampling;

public static class SamplerFactory
{
    public static IFlowSampler Create(SamplerSpec spec) => spec.Kind switch
    {
        SamplerKind.Euler => new EulerSampler(spec),
        SamplerKind.Heun => new HeunSampler(spec),
        SamplerKind.FlowTurbo => new FlowTurboSampler(spec),
        _ => new OneStepSampler(spec),
    };
}
