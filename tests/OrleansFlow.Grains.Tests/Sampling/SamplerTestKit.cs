using OrleansFlow.Models;
using OrleansFlow.Sampling;

namespace OrleansFlow.Grains.Tests.Sampling;

/// <summary>Shared helpers: the demo model with random labels (error measures are <see cref="SolverError"/>).</summary>
internal static class SamplerTestKit
{
    public static readonly GaussianMixtureFlow Demo = GmmDemo.Create();

    public static BatchGenerator Generator(string sampler, double guidance = 1, IFlowModel? model = null, long seed = 11)
    {
        var m = model ?? Demo;
        var labels = m.Info.IsConditional
            ? new LabelPolicy(LabelMode.Random, 0, m.Info.ClassCount, m.Info.NullClass)
            : new LabelPolicy(LabelMode.None, 0, 0, 0);
        return new BatchGenerator(m, SamplerFactory.Create(SamplerSpec.Parse(sampler)), labels, seed, guidance);
    }
}
