using System.Numerics.Tensors;

namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// KID (Bińkowski et al. 2018) as torch-fidelity's <c>metric_kid.py</c> computes it: over
/// <see cref="DefaultSubsets"/> random subsets of <see cref="DefaultSubsetSize"/> generated and
/// reference features, the unbiased MMD² with the polynomial kernel k(x, y) = (γ x·y + 1)³, γ = 1/D:
/// (Σ_{i≠j} k(xᵢ,xⱼ) + Σ_{i≠j} k(yᵢ,yⱼ)) / (m(m−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ) / m². KID is the mean over
/// subsets, its spread their std. Subsets come from <see cref="SeededSubsets"/> with the job seed,
/// so the value is reproducible; when either side has fewer than 1,000 features, the subset size is
/// the smaller count (torch-fidelity refuses instead), recorded with the result.
/// </summary>
public static class KernelInceptionDistance
{
    public const int DefaultSubsets = 100;
    public const int DefaultSubsetSize = 1000;
    public const int Degree = 3;
    public const double Coefficient = 1;

    public static KidResult Compute(FeatureMatrix generated, FeatureMatrix reference, long seed, int subsets = DefaultSubsets, int subsetSize = DefaultSubsetSize)
    {
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(subsets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(subsetSize);
        if (generated.Dimension != reference.Dimension)
        {
            throw new ArgumentException($"KID needs features of one dimension; generated {generated.Dimension}, reference {reference.Dimension}.", nameof(reference));
        }

        var size = Math.Min(subsetSize, Math.Min(generated.Count, reference.Count));
        if (size < 2)
        {
            throw new ArgumentException($"KID needs at least 2 generated and 2 reference features; there are {generated.Count} and {reference.Count}.", nameof(generated));
        }

        // All draws first, in subset order, so the subsets do not depend on how the work is spread.
        var random = new SeededSubsets(seed);
        var draws = new (int[] Generated, int[] Reference)[subsets];
        for (var s = 0; s < subsets; s++)
        {
            draws[s] = (random.Next(generated.Count, size), random.Next(reference.Count, size));
        }

        var values = new double[subsets];
        Parallel.For(0, subsets, s => values[s] = UnbiasedMmd2(Gather(generated, draws[s].Generated), Gather(reference, draws[s].Reference), size, generated.Dimension));
        return new KidResult(MetricSpread.Of(values), values, size, seed);
    }

    private static double[] Gather(FeatureMatrix features, int[] rows)
    {
        var dimension = features.Dimension;
        var gathered = new double[rows.Length * dimension];
        for (var i = 0; i < rows.Length; i++)
        {
            TensorPrimitives.ConvertChecked(features.Row(rows[i]), gathered.AsSpan(i * dimension, dimension));
        }

        return gathered;
    }

    private static double UnbiasedMmd2(double[] x, double[] y, int m, int dimension)
    {
        var gamma = 1.0 / dimension;
        double withinX = 0, withinY = 0, across = 0;
        for (var i = 0; i < m; i++)
        {
            var xi = x.AsSpan(i * dimension, dimension);
            var yi = y.AsSpan(i * dimension, dimension);
            for (var j = i + 1; j < m; j++)
            {
                withinX += Kernel(xi, x.AsSpan(j * dimension, dimension), gamma);
                withinY += Kernel(yi, y.AsSpan(j * dimension, dimension), gamma);
            }

            for (var j = 0; j < m; j++)
            {
                across += Kernel(xi, y.AsSpan(j * dimension, dimension), gamma);
            }
        }

        // The off-diagonal sums are twice the upper triangles (the kernel matrices are symmetric).
        return (2 * (withinX + withinY) / ((double)m * (m - 1))) - (2 * across / ((double)m * m));
    }

    private static double Kernel(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double gamma)
    {
        var k = (gamma * TensorPrimitives.Dot(a, b)) + Coefficient;
        return k * k * k;
    }
}
