namespace OrleansFlow.Jobs;

/// <summary>A metric's mean and population std over its parts, and what the parts are.</summary>
/// <param name="Over">e.g. "10 splits of 5000 samples", "100 subsets of 1000", "10 groups of whole shards".</param>
public sealed record MetricSpreadSummary(double Mean, double Std, int Parts, string Over);
