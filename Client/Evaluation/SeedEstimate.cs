namespace OrleansFlow.Client.Evaluation;

/// <summary>One metric (FID-digits, sFID, IS, …) of one row over several seeds: the mean and the seed-to-seed spread (sample standard deviation).</summary>
/// <param name="PerSeed">The value of each seed, in seed order (each one deterministic).</param>
internal sealed record SeedEstimate(double Mean, double Spread, IReadOnlyList<double> PerSeed)
{
    public static SeedEstimate Of(IReadOnlyList<double> perSeed)
    {
        if (perSeed.Count == 0)
        {
            throw new ArgumentException("An estimate needs at least one seed.", nameof(perSeed));
        }

        var mean = perSeed.Average();
        var spread = perSeed.Count < 2 ? 0 : Math.Sqrt(perSeed.Sum(f => (f - mean) * (f - mean)) / (perSeed.Count - 1));
        return new SeedEstimate(mean, spread, perSeed);
    }

    /// <summary>Lower than <paramref name="other"/> by more than both spreads together: a difference the seeds cannot explain.</summary>
    public bool ClearlyBelow(SeedEstimate other) => other.Mean - Mean > Spread + other.Spread;
}
