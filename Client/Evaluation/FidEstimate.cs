namespace OrleansFlow.Client.Evaluation;

/// <summary>FID-digits of one row over several seeds: the mean and the seed-to-seed spread (sample standard deviation).</summary>
/// <param name="PerSeed">FID of each seed, in seed order (each one deterministic).</param>
internal sealed record FidEstimate(double Mean, double Spread, IReadOnlyList<double> PerSeed)
{
    public static FidEstimate Of(IReadOnlyList<double> perSeed)
    {
        if (perSeed.Count == 0)
        {
            throw new ArgumentException("A FID estimate needs at least one seed.", nameof(perSeed));
        }

        var mean = perSeed.Average();
        var spread = perSeed.Count < 2 ? 0 : Math.Sqrt(perSeed.Sum(f => (f - mean) * (f - mean)) / (perSeed.Count - 1));
        return new FidEstimate(mean, spread, perSeed);
    }

    /// <summary>Lower than <paramref name="other"/> by more than both spreads together: a difference the seeds cannot explain.</summary>
    public bool ClearlyBelow(FidEstimate other) => other.Mean - Mean > Spread + other.Spread;
}
