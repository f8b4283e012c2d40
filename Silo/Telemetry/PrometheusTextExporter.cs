using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace OrleansFlow.Silo.Telemetry;

/// <summary>
/// Renders a collected batch of metrics in the Prometheus text exposition format 0.0.4: HELP and TYPE
/// lines, counters as <c>_total</c>, histograms as cumulative <c>_bucket{le=...}</c> with <c>_sum</c>
/// and <c>_count</c>, up-down counters and gauges as gauges, label values escaped. It is the exporter
/// of a pull reader (<see cref="PrometheusScrape"/>): each scrape collects, and this keeps the text.
/// </summary>
public sealed class PrometheusTextExporter : BaseExporter<Metric>
{
    /// <summary>The content type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The text of the last collection.</summary>
    public string Text { get; private set; } = string.Empty;

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var text = new StringBuilder();
        foreach (var metric in batch)
        {
            Write(text, metric);
        }

        Text = text.ToString();
        return ExportResult.Success;
    }

    private static void Write(StringBuilder text, Metric metric)
    {
        var type = PrometheusNames.TypeOf(metric.MetricType);
        if (type == PrometheusType.Untyped)
        {
            // Exponential histograms have no text-format form; nothing here records one.
            return;
        }

        var name = PrometheusNames.Metric(metric.Name, metric.Unit, type);
        var header = false;
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            if (!header)
            {
                text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(string.IsNullOrEmpty(metric.Description) ? metric.Name : metric.Description)).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(type.ToString().ToLowerInvariant()).Append('\n');
                header = true;
            }

            var labels = Labels(point);
            switch (type)
            {
                case PrometheusType.Histogram:
                    WriteHistogram(text, name, labels, point);
                    break;
                case PrometheusType.Counter:
                    WriteSample(text, name, labels, null, metric.MetricType == MetricType.LongSum ? Number(point.GetSumLong()) : Number(point.GetSumDouble()));
                    break;
                default:
                    WriteSample(text, name, labels, null, metric.MetricType switch
                    {
                        MetricType.LongGauge => Number(point.GetGaugeLastValueLong()),
                        MetricType.DoubleGauge => Number(point.GetGaugeLastValueDouble()),
                        MetricType.LongSumNonMonotonic => Number(point.GetSumLong()),
                        _ => Number(point.GetSumDouble()),
                    });
                    break;
            }
        }
    }

    private static void WriteHistogram(StringBuilder text, string name, string labels, in MetricPoint point)
    {
        long cumulative = 0;
        foreach (var bucket in point.GetHistogramBuckets())
        {
            cumulative += bucket.BucketCount;
            var le = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : Number(bucket.ExplicitBound);
            WriteSample(text, name + "_bucket", labels, "le=\"" + le + "\"", Number(cumulative));
        }

        WriteSample(text, name + "_sum", labels, null, Number(point.GetHistogramSum()));
        WriteSample(text, name + "_count", labels, null, Number(point.GetHistogramCount()));
    }

    private static void WriteSample(StringBuilder text, string name, string labels, string? extra, string value)
    {
        text.Append(name);
        if (labels.Length > 0 || extra is not null)
        {
            text.Append('{').Append(labels);
            if (extra is not null)
            {
                text.Append(labels.Length > 0 ? "," : string.Empty).Append(extra);
            }

            text.Append('}');
        }

        text.Append(' ').Append(value).Append('\n');
    }

    private static string Labels(in MetricPoint point)
    {
        var labels = new StringBuilder();
        foreach (var tag in point.Tags)
        {
            if (labels.Length > 0)
            {
                labels.Append(',');
            }

            labels.Append(PrometheusNames.Label(tag.Key)).Append("=\"").Append(EscapeLabelValue(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty)).Append('"');
        }

        return labels.ToString();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>HELP text escapes backslash and line feed.</summary>
    public static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
