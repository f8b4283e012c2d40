namespace OrleansFlow.Statistics.Metrics;

/// <summary>The Inception Score (mean over splits), its spread over the splits and each split's score.</summary>
public sealed record InceptionScoreResult(MetricSpread Spread, IReadOnlyList<double> SplitScores, int SplitSize)
{
    public double Score => Spread.Mean;
}
