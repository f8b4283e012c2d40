using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Tensors;

namespace OrleansFlow.Grains.Tests.Sampling;

public class FlowTurboTests
{
    private static readonly GaussianMixtureFlow Model = SamplerTestKit.Demo;

    [Theory]
    [InlineData(1, 2, 3)]
    [InlineData(0, 2, 2)]
    [InlineData(0, 0, 3)]
    [InlineData(2, 0, 0)]
    public void Sample_MatchesStepByStepHandComputation(int h, int p, int r)
    {
        var batch = SamplerTestKit.Generator($"flowturbo:h={h},p={p},r={r}").Generate(5, 1);

        var expected = HandComputed(batch.Noise, batch.Labels[0], h, p, r);

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - batch.Samples[i]) < 1e-5, $"element {i}: {expected[i]} vs {batch.Samples[i]}");
        }
    }

    [Theory]
    [InlineData("flowturbo:h=1,p=2,r=3", 4, 6)]
    [InlineData("flowturbo:h=0,p=2,r=3", 3, 6)]
    [InlineData("flowturbo:h=0,p=0,r=2", 1, 4)]
    [InlineData("heun:steps=5", 10, 0)]
    [InlineData("euler:steps=7", 7, 0)]
    [InlineData("onestep", 1, 0)]
    public void Sample_CountsEvaluationsAsDesigned(string sampler, int predictor, int refiner)
    {
        var spec = SamplerSpec.Parse(sampler);
        var batch = SamplerTestKit.Generator(sampler).Generate(0, 3);

        Assert.Equal(new NfeCount(predictor, refiner), batch.Nfe);
        Assert.Equal(predictor, spec.PredictorNfe);
        Assert.Equal(refiner, spec.RefinerNfe);
    }

    [Fact]
    public void Sample_ExactRefiner_BeatsHeunOfEqualPredictorCost()
    {
        // With the oracle refiner, h=2,p=2,r=4 costs 6 predictor calls, as heun:steps=3 does, and takes 8 steps.
        var reference = SamplerTestKit.Generator("heun:steps=1024").Generate(0, 32).Samples;
        var turbo = SamplerTestKit.Generator("flowturbo:h=2,p=2,r=4").Generate(0, 32).Samples;
        var heun = SamplerTestKit.Generator("heun:steps=3").Generate(0, 32).Samples;

        Assert.True(SolverError.Rms(turbo, reference) < SolverError.Rms(heun, reference));
    }

    /// <summary>DESIGN.md's FlowTurbo written out with one velocity call per line, in double precision.</summary>
    private static double[] HandComputed(float[] noise, int label, int heunSteps, int pseudoSteps, int refinerSteps)
    {
        var n = heunSteps + pseudoSteps + refinerSteps;
        var step = 1.0 / n;
        var x = noise.Select(v => (double)v).ToArray();
        double[]? kept = null;
        var k = 0;
        for (var i = 0; i < heunSteps; i++, k++)
        {
            var d = V(x, (double)k / n, label);
            var dNext = V(Axpy(x, step, d), (double)(k + 1) / n, label);
            x = Heun(x, step, d, dNext);
            kept = dNext;
        }

        for (var i = 0; i < pseudoSteps; i++, k++)
        {
            var d = kept ?? V(x, (double)k / n, label);
            var dNext = V(Axpy(x, step, d), (double)(k + 1) / n, label);
            x = Heun(x, step, d, dNext);
            kept = dNext;
        }

        var u = kept ?? (refinerSteps > 0 ? V(x, (double)k / n, label) : null);
        for (var i = 0; i < refinerSteps; i++, k++)
        {
            // Oracle refiner R(x, t, u) = v(x, t) − u.
            var d = Axpy(Axpy(V(x, (double)k / n, label), -1, u!), 1, u!);
            var predicted = Axpy(x, step, d);
            var dNext = Axpy(Axpy(V(predicted, (double)(k + 1) / n, label), -1, u!), 1, d);
            x = Heun(x, step, d, dNext);
            u = d;
        }

        return x;
    }

    private static double[] V(double[] x, double t, int label)
    {
        using var tensor = new CpuTensor([.. x.Select(v => (float)v)], 1, Model.Info.Shape);
        using var v = (CpuTensor)Model.Velocity(tensor, t, [label]);
        return [.. v.Data.Select(f => (double)f)];
    }

    private static double[] Axpy(double[] x, double a, double[] d) => [.. x.Select((v, i) => v + a * d[i])];

    private static double[] Heun(double[] x, double h, double[] d, double[] dNext) =>
        [.. x.Select((v, i) => v + h / 2 * (d[i] + dNext[i]))];
}
