using OrleansFlow.Statistics;

namespace OrleansFlow.Jobs;

/// <summary>
/// Which metrics an fid job computes. FID always; sFID when the network has spatial features and the
/// reference spatial statistics or images; IS when the network has logits; KID and precision/recall
/// when the reference has images. <c>--metrics</c> narrows this; asking for one that is not
/// available is a <see cref="SpecException"/> naming <c>metrics</c>.
/// </summary>
public static class EvaluationPlan
{
    private const EvaluationMetric All =
        EvaluationMetric.Fid | EvaluationMetric.Sfid | EvaluationMetric.InceptionScore | EvaluationMetric.PrecisionRecall | EvaluationMetric.Kid;

    /// <summary>What the finaliser reports.</summary>
    public static EvaluationMetric Resolve(JobSpec spec, FeatureLayout layout, FidReference reference)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(reference);
        var available = EvaluationMetric.Fid
            | (layout.Spatial > 0 && reference.Spatial is not null ? EvaluationMetric.Sfid : 0)
            | (layout.Logits > 0 ? EvaluationMetric.InceptionScore : 0)
            | (reference.Features is not null ? EvaluationMetric.Kid | EvaluationMetric.PrecisionRecall : 0);
        var requested = Requested(spec);
        var missing = spec.Metrics is null ? EvaluationMetric.None : requested & ~available;
        if (missing != EvaluationMetric.None)
        {
            throw new SpecException(EvaluationMetrics.Field,
                $"{string.Join(',', EvaluationMetrics.Format(missing))} not available with these features and reference: allowed {string.Join(',', EvaluationMetrics.Format(available))} " +
                "(sfid needs spatial features and mu_s/sigma_s or reference images, is needs logits, kid and prc need reference images)");
        }

        return requested & available;
    }

    /// <summary>
    /// What every shard records: a superset of <see cref="Resolve"/> decided from the spec and the network
    /// alone (workers do not read the reference). Features are kept only when the job has a reference file.
    /// </summary>
    public static EvaluationMetric ForShards(JobSpec spec, FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var requested = Requested(spec);
        var keep = EvaluationMetric.Fid
            | (layout.Spatial > 0 ? EvaluationMetric.Sfid : 0)
            | (layout.Logits > 0 ? EvaluationMetric.InceptionScore : 0)
            | (spec.Reference is not null ? EvaluationMetric.Kid | EvaluationMetric.PrecisionRecall : 0);
        return requested & keep;
    }

    /// <summary>The metrics the spec asks for (FID is always computed); all of them by default.</summary>
    private static EvaluationMetric Requested(JobSpec spec) =>
        spec.Metrics is null ? All : EvaluationMetrics.Parse(spec.Metrics) | EvaluationMetric.Fid;
}
