namespace OrleansFlow.Statistics.Metrics;

/// <summary>KID (mean MMD² over subsets), its spread, each subset's value, and how the subsets were drawn.</summary>
public sealed record KidResult(MetricSpread Spread, IReadOnlyList<double> SubsetValues, int SubsetSize, long Seed)
{
    public double Kid => Spread.Mean;
}
