using System.Diagnostics.Metrics;
using System.Reflection;
using OrleansFlow.Silo.Telemetry;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Silo.Tests;

/// <summary>The Prometheus families of every instrument in <see cref="OrleansFlowMetrics"/>, named as /metrics renders them.</summary>
internal static class MetricNames
{
    public static IReadOnlyDictionary<string, PrometheusType> Families { get; } = typeof(OrleansFlowMetrics)
        .GetProperties(BindingFlags.Public | BindingFlags.Static)
        .Select(p => p.GetValue(null))
        .OfType<Instrument>()
        .ToDictionary(i => PrometheusNames.Metric(i.Name, i.Unit, TypeOf(i)), TypeOf, StringComparer.Ordinal);

    /// <summary>Whether <paramref name="series"/> is a family or one of a histogram's <c>_bucket</c>, <c>_sum</c>, <c>_count</c> series.</summary>
    public static bool IsSeries(string series) =>
        Families.ContainsKey(series)
        || new[] { "_bucket", "_sum", "_count" }.Any(suffix => series.EndsWith(suffix, StringComparison.Ordinal)
            && Families.TryGetValue(series[..^suffix.Length], out var type) && type == PrometheusType.Histogram);

    private static PrometheusType TypeOf(Instrument instrument)
    {
        var kind = instrument.GetType().GetGenericTypeDefinition();
        return kind == typeof(Counter<>) || kind == typeof(ObservableCounter<>) ? PrometheusType.Counter
            : kind == typeof(Histogram<>) ? PrometheusType.Histogram
            : PrometheusType.Gauge;
    }
}
