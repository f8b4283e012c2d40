namespace OrleansFlow.Sampling;

/// <summary>How far a sampler's solutions are from a reference solution, and how fast that shrinks with the step.</summary>
public static class SolverError
{
    /// <summary>Root mean square over all elements of a − b (e.g. N samples against a fine reference solution).</summary>
    public static double Rms(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.IsEmpty)
        {
            throw new ArgumentException($"RMS needs two non-empty arrays of the same length, not {a.Length} and {b.Length}.");
        }

        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            sum += d * d;
        }

        return Math.Sqrt(sum / a.Length);
    }

    /// <summary>
    /// The empirical order of convergence: the least-squares slope of log(error) against log(h) with
    /// h = 1/steps (1 for Euler, 2 for Heun once the steps are small enough).
    /// </summary>
    public static double ConvergenceOrder(IReadOnlyList<int> steps, IReadOnlyList<double> errors)
    {
        if (steps.Count != errors.Count || steps.Count < 2)
        {
            throw new ArgumentException($"A convergence order needs at least two (steps, error) pairs; got {steps.Count} steps and {errors.Count} errors.");
        }

        var xs = steps.Select(n => Math.Log(1.0 / n)).ToArray();
        var ys = errors.Select(e => Math.Log(e)).ToArray();
        var (mx, my) = (xs.Average(), ys.Average());
        var covariance = xs.Zip(ys, (x, y) => (x - mx) * (y - my)).Sum();
        return covariance / xs.Sum(x => (x - mx) * (x - mx));
    }
}
