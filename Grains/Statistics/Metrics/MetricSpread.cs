namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// The mean and population standard deviation (ddof = 0, <c>np.std</c>, as torch-fidelity reports
/// KID and IS) of a metric over its parts: IS over splits, KID over subsets, FID over shard groups.
/// </summary>
public sealed record MetricSpread(double Mean, double Std, int Parts)
{
    public static MetricSpread Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("A spread needs at least one value.", nameof(values));
        }

        var mean = values.Sum() / values.Count;
        var variance = values.Sum(v => (v - mean) * (v - mean)) / values.Count;
        return new MetricSpread(mean, Math.Sqrt(variance), values.Count);
    }
}
