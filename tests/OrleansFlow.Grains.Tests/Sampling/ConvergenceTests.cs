using OrleansFlow.Sampling;

namespace OrleansFlow.Grains.Tests.Sampling;

public class ConvergenceTests
{
    private const int Samples = 48;

    // A fine Heun solution: its own error (~(1/2048)²) is far below the coarse errors measured here.
    private static readonly Lazy<float[]> Reference = new(() => SamplerTestKit.Generator("heun:steps=2048").Generate(0, Samples).Samples);

    [Fact]
    public void Euler_HalvingTheStep_ErrorHalves()
    {
        var steps = new[] { 32, 64, 128, 256 };
        var order = SolverError.ConvergenceOrder(steps, Errors("euler", steps));
        Assert.InRange(order, 0.85, 1.2);
    }

    [Fact]
    public void Heun_HalvingTheStep_ErrorQuarters()
    {
        var steps = new[] { 32, 64, 128, 256 };
        var order = SolverError.ConvergenceOrder(steps, Errors("heun", steps));
        Assert.InRange(order, 1.8, 2.3);
    }

    private static double[] Errors(string sampler, int[] steps) =>
        [.. steps.Select(n => SolverError.Rms(SamplerTestKit.Generator($"{sampler}:steps={n}").Generate(0, Samples).Samples, Reference.Value))];
}
