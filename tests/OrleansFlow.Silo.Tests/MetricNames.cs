using System.Diagnostics.Metrics;
using System.Reflection;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// The Prometheus families of <see cref="OrleansFlowMetrics"/> as OpenTelemetry's Prometheus exporter
/// names them on <c>/metrics</c> (unit words appended, <c>{annotations}</c> dropped, counters ending in
/// <c>_total</c>): the names the README, k8s/base/grafana-dashboard.json and the KEDA/alert queries use,
/// written out so a renaming by the exporter fails a test instead of silently emptying a dashboard.
/// </summary>
internal static class MetricNames
{
    public const string Prefix = "orleansflow_";

    public static IReadOnlyDictionary<string, string> Families { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["orleansflow_samples_generated_total"] = "counter",
        ["orleansflow_predictor_evaluations_total"] = "counter",
        ["orleansflow_refiner_evaluations_total"] = "counter",
        ["orleansflow_shard_duration_seconds"] = "histogram",
        ["orleansflow_shard_redispatches_total"] = "counter",
        ["orleansflow_scheduler_busy_seconds_total"] = "counter",
        ["orleansflow_manifold_blocks_total"] = "counter",
        ["orleansflow_samplers_warm"] = "gauge",
        ["orleansflow_model_load_duration_seconds"] = "histogram",
        ["orleansflow_model_warmup_duration_seconds"] = "histogram",
        ["orleansflow_model_compilation_forward_seconds"] = "histogram",
        ["orleansflow_generate_duration_seconds"] = "histogram",
        ["orleansflow_generate_batch_samples"] = "histogram",
        ["orleansflow_generate_batch_requests"] = "histogram",
        ["orleansflow_generate_batch_wait_seconds"] = "histogram",
        ["orleansflow_generate_rejected_total"] = "counter",
    };

    /// <summary>How many instruments <see cref="OrleansFlowMetrics"/> declares (each must have a family above).</summary>
    public static int InstrumentCount { get; } = typeof(OrleansFlowMetrics)
        .GetProperties(BindingFlags.Public | BindingFlags.Static)
        .Count(p => p.GetValue(null) is Instrument);

    /// <summary>Whether <paramref name="series"/> is a family or one of a histogram's <c>_bucket</c>, <c>_sum</c>, <c>_count</c> series.</summary>
    public static bool IsSeries(string series) =>
        Families.ContainsKey(series)
        || new[] { "_bucket", "_sum", "_count" }.Any(suffix => series.EndsWith(suffix, StringComparison.Ordinal)
            && Families.TryGetValue(series[..^suffix.Length], out var type) && type == "histogram");

    /// <summary>The lines of OrleansFlow's own families (HELP, TYPE and samples).</summary>
    public static string OursOnly(string text) => string.Join('\n', text.Split('\n').Where(line =>
        (line.StartsWith("# ", StringComparison.Ordinal) ? line.Split(' ') is [_, _, var name, ..] && name.StartsWith(Prefix, StringComparison.Ordinal)
            : line.StartsWith(Prefix, StringComparison.Ordinal)))) + "\n";
}
