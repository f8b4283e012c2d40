namespace OrleansFlow.Jobs;

/// <summary>Parsing and naming of <see cref="EvaluationMetric"/> sets: one place for the names.</summary>
public static class EvaluationMetrics
{
    public const string Field = "metrics";

    private static readonly (string Name, EvaluationMetric Metric)[] Names =
    [
        ("fid", EvaluationMetric.Fid),
        ("sfid", EvaluationMetric.Sfid),
        ("is", EvaluationMetric.InceptionScore),
        ("prc", EvaluationMetric.PrecisionRecall),
        ("kid", EvaluationMetric.Kid),
    ];

    public static string Allowed => string.Join(',', Names.Select(n => n.Name));

    /// <summary>A comma-separated list such as <c>fid,is</c>; throws <see cref="SpecException"/> naming <c>metrics</c>.</summary>
    public static EvaluationMetric Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var metrics = EvaluationMetric.None;
        foreach (var word in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var found = Names.FirstOrDefault(n => string.Equals(n.Name, word, StringComparison.OrdinalIgnoreCase));
            if (found.Name is null)
            {
                throw new SpecException(Field, $"unknown metric '{word}': allowed {Allowed} (comma-separated)");
            }

            metrics |= found.Metric;
        }

        return metrics == EvaluationMetric.None ? throw new SpecException(Field, $"names no metric: allowed {Allowed} (comma-separated)") : metrics;
    }

    /// <summary>The names of a set, in the canonical order.</summary>
    public static IReadOnlyList<string> Format(EvaluationMetric metrics) =>
        [.. Names.Where(n => metrics.HasFlag(n.Metric)).Select(n => n.Name)];
}
