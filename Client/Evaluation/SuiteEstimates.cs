using OrleansFlow.Jobs;

namespace OrleansFlow.Client.Evaluation;

/// <summary>
/// The evaluation suite's metrics of one fid-table row over its seeds, each mean ± seed-to-seed spread
/// as FID-digits is (null when the row's jobs did not compute it), and what they cost.
/// </summary>
/// <param name="FinaliserSeconds">Mean seconds per job the finaliser spent on sFID, IS, precision/recall and KID (the job's seconds, hence ms/sample, end before the finaliser).</param>
internal sealed record SuiteEstimates(
    SeedEstimate? Sfid, SeedEstimate? InceptionScore, SeedEstimate? Precision, SeedEstimate? Recall, SeedEstimate? Kid, double FinaliserSeconds)
{
    /// <summary>The metrics the finaliser computes beside FID, as named in <c>evaluation.seconds</c>.</summary>
    public static readonly IReadOnlyList<string> Extra = ["sfid", "is", "prc", "kid"];

    public static SuiteEstimates Of(IReadOnlyList<EvaluationSummary?> perSeed)
    {
        ArgumentNullException.ThrowIfNull(perSeed);
        SeedEstimate? Over(Func<EvaluationSummary, double?> metric) =>
            perSeed.Select(e => e is null ? null : metric(e)).ToList() is var values && values.All(v => v.HasValue) && values.Count > 0
                ? SeedEstimate.Of([.. values.Select(v => v!.Value)])
                : null;
        return new SuiteEstimates(
            Over(e => e.Sfid), Over(e => e.InceptionScore), Over(e => e.Precision), Over(e => e.Recall), Over(e => e.Kid),
            perSeed.Count == 0 ? 0 : perSeed.Average(FinaliserSecondsOf));
    }

    /// <summary>The finaliser's seconds for the metrics beyond FID in one job.</summary>
    private static double FinaliserSecondsOf(EvaluationSummary? evaluation) =>
        evaluation?.Seconds is { } seconds ? Extra.Sum(metric => seconds.TryGetValue(metric, out var s) ? s : 0) : 0;
}
