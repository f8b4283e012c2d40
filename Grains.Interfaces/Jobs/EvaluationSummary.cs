namespace OrleansFlow.Jobs;

/// <summary>
/// The metrics of an fid job beyond its FID (which stays in <see cref="JobSummary.Fid"/>), each with
/// its spread and what it was computed from. Absent metrics were not requested or not available.
/// </summary>
public sealed record EvaluationSummary
{
    /// <summary>The metrics computed, in canonical order (fid, sfid, is, prc, kid).</summary>
    public required IReadOnlyList<string> Metrics { get; init; }

    /// <summary>FID of contiguous groups of whole shards against the same reference (each biased up by its smaller count).</summary>
    public MetricSpreadSummary? FidSpread { get; init; }

    public double? Sfid { get; init; }

    /// <summary>Where the reference's spatial statistics came from.</summary>
    public string? SfidReference { get; init; }

    public double? InceptionScore { get; init; }

    public MetricSpreadSummary? InceptionScoreSpread { get; init; }

    public IReadOnlyList<double>? InceptionScoreSplits { get; init; }

    public double? Precision { get; init; }

    public double? Recall { get; init; }

    /// <summary>Generated samples inside the reference manifold, reference samples inside the generated one, and k.</summary>
    public PrecisionRecallCounts? PrecisionRecallCounts { get; init; }

    public double? Kid { get; init; }

    public MetricSpreadSummary? KidSpread { get; init; }

    /// <summary>The seed the KID subsets were drawn with (the job seed).</summary>
    public long? KidSeed { get; init; }

    /// <summary>The reference features KID and precision/recall compared against.</summary>
    public string? FeatureReference { get; init; }

    /// <summary>Seconds spent on each metric in the finaliser (merging, distances, kernels).</summary>
    public IReadOnlyDictionary<string, double>? Seconds { get; init; }
}
