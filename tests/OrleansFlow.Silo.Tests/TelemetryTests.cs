using OrleansFlow.Testing;
using System.Net;
using System.Net.Http.Json;
using OrleansFlow.Sampling;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// <c>/metrics</c> of a real silo after real work: valid for Prometheus' own linter, and every value
/// moved by exactly the work done.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class TelemetryTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Metrics_AfterJobAndGenerate_PassPromtoolAndCountTheWorkExactly()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);
        var silo = cluster.Silos[0];
        var spec = JobSpecs.Fid(seed: 21, samples: 600, shardSize: 200, sampler: "flowturbo:h=1,p=1,r=2");
        var jobNfe = new NfeCount(3, 4);
        const int GenerateSamples = 8;
        const int GenerateNfe = 8;

        using var client = cluster.Client();
        var job = await cluster.WaitAsync((await client.SubmitAsync(spec, "telemetry", default)).Id, TimeSpan.FromMinutes(1));
        Assert.True(job.State == "succeeded", $"{job.State}: {job.Error}\n{cluster.Logs()}");
        using var http = cluster.Http();
        using var generated = await http.PostAsJsonAsync("v1/generate", new { model = "gmm-demo", samples = GenerateSamples, sampler = "heun:steps=4", format = "array" });
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);

        var text = await cluster.ScrapeAsync(silo);
        var ours = MetricNames.OursOnly(text);
        // The whole page lints clean, Orleans' families included (OrleansMeterBridge: help text, base units).
        var (exitCode, lint) = await Promtool.CheckMetricsAsync(text);
        Assert.True(exitCode == 0, $"promtool check metrics: {lint}\n{text}");
        Assert.Equal(string.Empty, lint.Trim());
        Assert.DoesNotContain("_milliseconds", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE orleans_app_requests_latency_seconds histogram", text, StringComparison.Ordinal);

        var metrics = PrometheusText.Parse(ours);
        Assert.All(metrics.Samples, s => Assert.True(MetricNames.IsSeries(s.Name), $"{s.Name} is not a family of OrleansFlowMetrics"));
        Assert.All(metrics.Types, t => Assert.Equal(MetricNames.Families.GetValueOrDefault(t.Key), t.Value));
        Assert.Equal(MetricNames.InstrumentCount, MetricNames.Families.Count);
        // Orleans' own meter (orleans_*) is exported beside OrleansFlow's.
        Assert.Contains(PrometheusText.Parse(text).Samples, s => s.Name.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Equal(spec.Samples + GenerateSamples, metrics.Sum("orleansflow_samples_generated_total", ("model", "gmm-demo")));
        Assert.Equal((spec.Samples * jobNfe.Predictor) + (GenerateSamples * GenerateNfe), metrics.Sum("orleansflow_predictor_evaluations_total"));
        Assert.Equal(spec.Samples * jobNfe.Refiner, metrics.Sum("orleansflow_refiner_evaluations_total"));
        Assert.Equal(spec.ShardCount, metrics.Sum("orleansflow_shard_duration_seconds_count", ("outcome", "completed")));
        Assert.Equal(spec.ShardCount, metrics.Sum("orleansflow_shard_duration_seconds_bucket", ("outcome", "completed"), ("le", "+Inf")));
        Assert.True(metrics.Sum("orleansflow_shard_duration_seconds_sum") > 0);
        Assert.Equal(1, metrics.Sum("orleansflow_generate_duration_seconds_count", ("http_response_status_code", "200")));
        Assert.True(metrics.Sum("orleansflow_samplers_warm") >= 1);
        Assert.Equal(1, metrics.Sum("orleansflow_model_load_duration_seconds_count", ("model", "gmm-demo")));
        Assert.Equal(0, metrics.Sum("orleansflow_shard_redispatches_total"));
        // The job's scheduler ran here (one silo): its steps took some time, and far less than the job did.
        var busy = metrics.Sum("orleansflow_scheduler_busy_seconds_total");
        Assert.True(busy > 0 && busy < (job.FinishedAt!.Value - job.CreatedAt).TotalSeconds, $"scheduler busy {busy} s");
        Assert.Equal("counter", metrics.Types["orleansflow_samples_generated_total"]);
        Assert.Equal("histogram", metrics.Types["orleansflow_shard_duration_seconds"]);
        Assert.Equal("gauge", metrics.Types["orleansflow_samplers_warm"]);
    }
}
