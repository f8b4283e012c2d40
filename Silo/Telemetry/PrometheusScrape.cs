using OpenTelemetry.Metrics;

namespace OrleansFlow.Silo.Telemetry;

/// <summary>
/// The pull side of <c>/metrics</c>: a manual-collect reader on the silo's MeterProvider (the same
/// instruments OTLP exports) whose exporter renders the Prometheus text. Scrapes are serialised, so
/// each gets the text of its own collection.
/// </summary>
public sealed class PrometheusScrape : IDisposable
{
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(5);

    private readonly PrometheusTextExporter _exporter = new();
    private readonly Lock _lock = new();

    public PrometheusScrape() => Reader = new BaseExportingMetricReader(_exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };

    /// <summary>Added to the MeterProvider; collects only when scraped.</summary>
    public MetricReader Reader { get; }

    /// <summary>Collects every instrument now and returns the text (empty when the provider is gone).</summary>
    public string Collect()
    {
        lock (_lock)
        {
            return Reader.Collect((int)CollectTimeout.TotalMilliseconds) ? _exporter.Text : string.Empty;
        }
    }

    public void Dispose() => Reader.Dispose();
}
