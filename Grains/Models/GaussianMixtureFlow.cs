using OrleansFlow.Ids;
using OrleansFlow.Sampling;
using OrleansFlow.Tensors;

namespace OrleansFlow.Models;

/// <summary>
/// The exact marginal velocity of the straight (rectified) flow from N(0, I) to a Gaussian mixture,
/// DESIGN.md "The analytic model". With x_t = (1−t)·x0 + t·x1 and component k:
/// σ_k²(t) = (1−t)² + t²s_k², a_k(t) = (t·s_k² − (1−t)) / σ_k²(t),
/// r_k ∝ π_k·N(x; tμ_k, σ_k²I) over the components of the requested class,
/// v = Σ_k r_k·(μ_k + a_k·(x − tμ_k)). Computed in double per sample, stored as float.
/// </summary>
public sealed class GaussianMixtureFlow : IFlowModel, IHasMemoryFootprint
{
    private readonly MixtureComponent[] _components;

    public GaussianMixtureFlow(string name, Resolution shape, IReadOnlyList<MixtureComponent> components, bool conditional)
    {
        if (components.Count == 0)
        {
            throw new SpecException("model", $"{name}: a mixture needs at least one component");
        }

        _components = [.. components];
        Info = new ModelInfo(name, shape, conditional ? components.Max(c => c.ClassLabel) + 1 : 0);
        Refiner = new OracleRefiner(this);
    }

    public ModelInfo Info { get; }

    public ITensorBackend Backend => CpuTensorBackend.Instance;

    /// <summary>The exact oracle R(x, t, u) = v(x, t) − u: a test device, not a trained network.</summary>
    public IVelocityRefiner? Refiner { get; }

    public IReadOnlyList<MixtureComponent> Components => _components;

    public long EstimatedBytes => _components.Sum(c => (long)c.Mean.Length * sizeof(double));

    public ITensor Velocity(ITensor x, double t, ReadOnlySpan<int> labels)
    {
        var input = (CpuTensor)x;
        var output = new CpuTensor(new float[input.Data.Length], input.Batch, input.Shape);
        var labelArray = labels.ToArray();
        CpuTensorBackend.ForEachSample(input.Batch, input.Shape.Elements, i =>
            SampleVelocity(input.Sample(i), t, Info.IsConditional ? labelArray[i] : Info.NullClass, output.Sample(i)));
        return output;
    }

    /// <summary>
    /// The weights of the distribution a job samples: the mixture itself when unconditional, the
    /// components of one class when the label is fixed, and each class with probability 1/C when labels
    /// are drawn uniformly per sample. Used for the exact FID reference moments.
    /// </summary>
    public double[] TargetWeights(LabelPolicy policy)
    {
        var weights = new double[_components.Length];
        for (var k = 0; k < weights.Length; k++)
        {
            var c = _components[k];
            weights[k] = policy.Mode switch
            {
                LabelMode.None => c.Weight,
                LabelMode.Fixed => c.ClassLabel == policy.FixedLabel ? c.Weight : 0,
                _ => c.Weight / ClassWeight(c.ClassLabel) / Info.ClassCount,
            };
        }

        var total = weights.Sum();
        if (total <= 0)
        {
            throw new SpecException("class", $"{policy.FixedLabel} has no component in {Info.Name}");
        }

        return [.. weights.Select(w => w / total)];
    }

    /// <summary>Exact mean and covariance of a mixture with the given weights: Σπ(s²I + μμᵀ) − m mᵀ.</summary>
    public (double[] Mean, double[] Covariance) Moments(double[] weights)
    {
        var d = Info.Shape.Elements;
        var mean = new double[d];
        var second = new double[d * d];
        for (var k = 0; k < _components.Length; k++)
        {
            var (w, mu, s) = (weights[k], _components[k].Mean, _components[k].Std);
            for (var i = 0; i < d; i++)
            {
                mean[i] += w * mu[i];
                second[i * d + i] += w * s * s;
                for (var j = 0; j < d; j++)
                {
                    second[i * d + j] += w * mu[i] * mu[j];
                }
            }
        }

        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                second[i * d + j] -= mean[i] * mean[j];
            }
        }

        return (mean, second);
    }

    private double ClassWeight(int label) => _components.Where(c => c.ClassLabel == label).Sum(c => c.Weight);

    private void SampleVelocity(ReadOnlySpan<float> x, double t, int label, Span<float> v)
    {
        var d = x.Length;
        Span<double> logWeight = stackalloc double[_components.Length];
        Span<double> slope = stackalloc double[_components.Length];
        var best = double.NegativeInfinity;
        for (var k = 0; k < _components.Length; k++)
        {
            var c = _components[k];
            if (label != Info.NullClass && c.ClassLabel != label)
            {
                logWeight[k] = double.NegativeInfinity;
                continue;
            }

            var variance = (1 - t) * (1 - t) + t * t * c.Std * c.Std;
            slope[k] = (t * c.Std * c.Std - (1 - t)) / variance;
            var squaredDistance = 0.0;
            for (var i = 0; i < d; i++)
            {
                var r = x[i] - t * c.Mean[i];
                squaredDistance += r * r;
            }

            logWeight[k] = Math.Log(c.Weight) - 0.5 * d * Math.Log(variance) - squaredDistance / (2 * variance);
            best = Math.Max(best, logWeight[k]);
        }

        if (double.IsNegativeInfinity(best))
        {
            throw new SpecException("class", $"{label} is not a class of {Info.Name}: allowed 0..{Info.ClassCount - 1}");
        }

        // Softmax relative to the largest log-weight so that far-away components underflow to 0 harmlessly.
        var total = 0.0;
        for (var k = 0; k < _components.Length; k++)
        {
            logWeight[k] = Math.Exp(logWeight[k] - best);
            total += logWeight[k];
        }

        // Large samples (e.g. 3×64×64) would overflow the stack.
        Span<double> sum = d <= 1024 ? stackalloc double[d] : new double[d];
        for (var k = 0; k < _components.Length; k++)
        {
            var r = logWeight[k] / total;
            if (r == 0)
            {
                continue;
            }

            var mu = _components[k].Mean;
            var a = slope[k];
            // μ + a·(x − tμ) = (1 − a·t)·μ + a·x
            var muScale = r * (1 - a * t);
            var xScale = r * a;
            for (var i = 0; i < d; i++)
            {
                sum[i] += muScale * mu[i] + xScale * x[i];
            }
        }

        for (var i = 0; i < d; i++)
        {
            v[i] = (float)sum[i];
        }
    }

    private sealed class OracleRefiner(GaussianMixtureFlow flow) : IVelocityRefiner
    {
        public ITensor Refine(ITensor x, double t, ITensor previousVelocity, ReadOnlySpan<int> labels)
        {
            using var v = flow.Velocity(x, t, labels);
            return flow.Backend.Add(v, -1, previousVelocity);
        }
    }
}
