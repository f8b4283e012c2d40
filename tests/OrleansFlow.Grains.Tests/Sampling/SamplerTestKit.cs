using OrleansFlow.Models;
using OrleansFlow.Sampling;

namespace OrleansFlow.Grains.Tests.Sampling;

/// <summary>Shared helpers: the demo model with random labels and error measures.</summary>
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

    /// <summary>Root mean square over all elements of a − b.</summary>
    public static double Rms(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            sum += d * d;
        }

        return Math.Sqrt(sum / a.Length);
    }

    /// <summary>Least-squares slope of log(error) against log(step size).</summary>
    public static double ConvergenceOrder(int[] steps, double[] errors)
    {
        var xs = steps.Select(n => Math.Log(1.0 / n)).ToArray();
        var ys = errors.Select(e => Math.Log(e)).ToArray();
        var (mx, my) = (xs.Average(), ys.Average());
        var covariance = xs.Zip(ys, (x, y) => (x - mx) * (y - my)).Sum();
        return covariance / xs.Sum(x => (x - mx) * (x - mx));
    }
}
