namespace OrleansFlow.Sampling;

public enum SamplerKind
{
    Euler,
    Heun,
    FlowTurbo,
    OneStep,
}
