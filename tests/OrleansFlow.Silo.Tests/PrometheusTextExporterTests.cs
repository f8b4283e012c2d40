using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OrleansFlow.Silo.Telemetry;

namespace OrleansFlow.Silo.Tests;

/// <summary>The Prometheus text rendering on its own: names, units, types, escaping, cumulative buckets.</summary>
public sealed class PrometheusTextExporterTests
{
    [Fact]
    public async Task Render_EveryInstrumentKind_NamedEscapedAndAcceptedByPromtool()
    {
        using var meter = new Meter("OrleansFlow.Tests." + Guid.NewGuid().ToString("N"));
        using var scrape = new PrometheusScrape();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(meter.Name).AddReader(scrape.Reader).Build();
        var requests = meter.CreateCounter<long>("test.requests", "{request}", "Requests\nwith a \\ in the help");
        var latency = meter.CreateHistogram("test.latency", "s", "Latency", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] });
        var inFlight = meter.CreateUpDownCounter<int>("test.in_flight", "{request}", "In flight");
        meter.CreateObservableGauge("test.utilisation", () => 0.25, "1", "Utilisation");
        var bytesRead = meter.CreateCounter<double>("test.bytes.read", "By", "Bytes read");

        requests.Add(3, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"), new KeyValuePair<string, object?>("http.method", "GET"));
        latency.Record(0.5);
        latency.Record(5);
        latency.Record(50);
        inFlight.Add(2);
        inFlight.Add(-1);
        bytesRead.Add(1.5);
        var text = scrape.Collect();

        var lines = text.Split('\n');
        Assert.Contains("# HELP test_requests_total Requests\\nwith a \\\\ in the help", lines);
        Assert.Contains("# TYPE test_requests_total counter", lines);
        Assert.Contains("test_requests_total{http_method=\"GET\",path=\"a\\\"b\\\\c\\nd\"} 3", lines);
        Assert.Contains("# TYPE test_latency_seconds histogram", lines);
        Assert.Contains("test_latency_seconds_bucket{le=\"1\"} 1", lines);
        Assert.Contains("test_latency_seconds_bucket{le=\"10\"} 2", lines);
        Assert.Contains("test_latency_seconds_bucket{le=\"+Inf\"} 3", lines);
        Assert.Contains("test_latency_seconds_sum 55.5", lines);
        Assert.Contains("test_latency_seconds_count 3", lines);
        Assert.Contains("# TYPE test_in_flight gauge", lines);
        Assert.Contains("test_in_flight 1", lines);
        Assert.Contains("test_utilisation_ratio 0.25", lines);
        Assert.Contains("test_bytes_read_bytes_total 1.5", lines);
        var (exitCode, lint) = await Promtool.CheckMetricsAsync(text);
        Assert.True(exitCode == 0, $"{lint}\n{text}");
    }

    [Theory]
    [InlineData("orleansflow.shard.duration", "s", PrometheusType.Histogram, "orleansflow_shard_duration_seconds")]
    [InlineData("orleansflow.samples.generated", "{sample}", PrometheusType.Counter, "orleansflow_samples_generated_total")]
    [InlineData("http.server.request.duration", "s", PrometheusType.Histogram, "http_server_request_duration_seconds")]
    [InlineData("queue.items", "{item}/s", PrometheusType.Gauge, "queue_items_per_second")]
    [InlineData("db.latency", "ms", PrometheusType.Histogram, "db_latency_milliseconds")]
    [InlineData("cpu.utilization", "1", PrometheusType.Gauge, "cpu_utilization_ratio")]
    [InlineData("bytes.sent_total", "By", PrometheusType.Counter, "bytes_sent_total_bytes_total")]
    [InlineData("already_seconds", "s", PrometheusType.Gauge, "already_seconds")]
    [InlineData("odd-name..x", null, PrometheusType.Counter, "odd_name_x_total")]
    public void Metric_OpenTelemetryNameAndUnit_PrometheusName(string instrument, string? unit, PrometheusType type, string expected) =>
        Assert.Equal(expected, PrometheusNames.Metric(instrument, unit, type));
}
