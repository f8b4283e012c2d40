using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrleansFlow.Cluster;

namespace OrleansFlow.Telemetry;

/// <summary>
/// Every OrleansFlow instrument, on one <see cref="Meter"/> and one <see cref="ActivitySource"/> named
/// <see cref="Name"/>. They are recorded where the work happens (sampling, shard runs, the scheduler's
/// re-dispatches, model loads, the generate API) and cost nothing until a listener (the silo's OpenTelemetry
/// MeterProvider) subscribes, so embedded runs pay nothing. Names follow the OpenTelemetry semantic
/// conventions; <c>/metrics</c> renders them as Prometheus does (dots to underscores, unit suffix,
/// <c>_total</c> on counters): see README "Telemetry".
/// </summary>
public static class OrleansFlowMetrics
{
    public const string Name = "OrleansFlow";

    /// <summary>Shard and request durations: from a tiny shard on a CPU to a long one on a busy GPU.</summary>
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    private static readonly Meter Meter = new(Name);

    public static ActivitySource Tracing { get; } = new(Name);

    /// <summary>Samples produced by the samplers (jobs and <c>/v1/generate</c>), by model.</summary>
    public static Counter<long> SamplesGenerated { get; } = Meter.CreateCounter<long>(
        "orleansflow.samples.generated", "{sample}", "Samples generated (jobs and /v1/generate)");

    /// <summary>Velocity-predictor evaluations per sample (a batch of N samples with NFE k counts N·k).</summary>
    public static Counter<long> PredictorEvaluations { get; } = Meter.CreateCounter<long>(
        "orleansflow.predictor.evaluations", "{evaluation}", "Velocity predictor evaluations, per sample");

    /// <summary>FlowTurbo velocity-refiner evaluations per sample.</summary>
    public static Counter<long> RefinerEvaluations { get; } = Meter.CreateCounter<long>(
        "orleansflow.refiner.evaluations", "{evaluation}", "Velocity refiner evaluations, per sample");

    /// <summary>Wall time of one shard run on this silo, by model and outcome (completed, released, failed, ...).</summary>
    public static Histogram<double> ShardDuration { get; } = Meter.CreateHistogram(
        "orleansflow.shard.duration", "s", "Time to run one shard", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Shards dispatched again because the call to their silo was lost (it died, paused or was partitioned).</summary>
    public static Counter<long> ShardRedispatches { get; } = Meter.CreateCounter<long>(
        "orleansflow.shard.redispatches", "{shard}", "Shards dispatched again after the call to their silo was lost");

    /// <summary>
    /// Wall time job schedulers on this silo spent in their steps (applying reports, planning dispatches,
    /// writing shard rows and telling the catalog), the waits for reports and the finaliser's work left out.
    /// Divided by the shards done, it is the scheduler's cost per shard: the figure that must not grow with
    /// a job's shard count or the number of jobs (issue 16, docs/benchmarks.md). Wall time rather than CPU
    /// time: a step's awaits hop threads, and its PostgreSQL round trips are part of what it costs.
    /// </summary>
    public static Counter<double> SchedulerBusy { get; } = Meter.CreateCounter<double>(
        "orleansflow.scheduler.busy", "s", "Time job schedulers spent in their steps, waits for reports excluded");

    /// <summary>
    /// Precision/recall blocks a finaliser on this silo dispatched, by the silo that ran them (a cluster has
    /// a few) and outcome (completed, failed: a failed block runs again, on another silo when there is one).
    /// </summary>
    public static Counter<long> ManifoldBlocks { get; } = Meter.CreateCounter<long>(
        "orleansflow.manifold.blocks", "{block}", "Precision/recall blocks dispatched by this silo's finalisers, by silo and outcome");

    /// <summary>Sampler actors holding a loaded model on this silo.</summary>
    public static UpDownCounter<int> WarmSamplers { get; } = Meter.CreateUpDownCounter<int>(
        "orleansflow.samplers.warm", "{sampler}", "Warm models (sampler grains holding a loaded model) on this silo");

    /// <summary>Time to load (activate) a model, by model.</summary>
    public static Histogram<double> ModelLoadDuration { get; } = Meter.CreateHistogram(
        "orleansflow.model.load.duration", "s", "Time to load a model into a sampler grain", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Time of a sample-aware warm-up of one batch size (TorchScript models), by model.</summary>
    public static Histogram<double> ModelWarmupDuration { get; } = Meter.CreateHistogram(
        "orleansflow.model.warmup.duration", "s", "Time to warm up a model for one batch size", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>
    /// Median forward time of each compiled form of a TorchScript module timed at warm-up, by role,
    /// batch size, form and whether it was chosen (sample-aware compilation; docs/libtorch.md).
    /// </summary>
    public static Histogram<double> ModelCompilationForward { get; } = Meter.CreateHistogram(
        "orleansflow.model.compilation.forward", "s", "Median forward time of a compiled form of a model module, timed at warm-up", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Latency of <c>POST /v1/generate</c>, by status code.</summary>
    public static Histogram<double> GenerateDuration { get; } = Meter.CreateHistogram(
        "orleansflow.generate.duration", "s", "Latency of POST /v1/generate", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Samples in one model run of the generate batcher (the requests that shared it, summed), by model.</summary>
    public static Histogram<int> GenerateBatchSamples { get; } = Meter.CreateHistogram(
        "orleansflow.generate.batch.samples", "{sample}", "Samples per shared /v1/generate model run", tags: null,
        new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });

    /// <summary>Requests that shared one model run of the generate batcher, by model.</summary>
    public static Histogram<int> GenerateBatchRequests { get; } = Meter.CreateHistogram(
        "orleansflow.generate.batch.requests", "{request}", "/v1/generate requests per shared model run", tags: null,
        new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 6, 8, 12, 16, 32] });

    /// <summary>Time a generate request waited in its batcher before its model run started, by model.</summary>
    public static Histogram<double> GenerateBatchWait { get; } = Meter.CreateHistogram(
        "orleansflow.generate.batch.wait", "s", "Wait of a /v1/generate request for its batch to start", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    /// <summary><c>/v1/generate</c> requests answered 429 because the silo's generate cap was reached.</summary>
    public static Counter<long> GenerateRejected { get; } = Meter.CreateCounter<long>(
        "orleansflow.generate.rejected", "{request}", "/v1/generate requests refused with 429 (per-silo cap reached)");

    /// <summary>Counts the samples and evaluations of one generated batch.</summary>
    public static void RecordBatch(string model, int samples, long predictorNfe, long refinerNfe)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        SamplesGenerated.Add(samples, tag);
        PredictorEvaluations.Add(samples * predictorNfe, tag);
        if (refinerNfe > 0)
        {
            RefinerEvaluations.Add(samples * refinerNfe, tag);
        }
    }
}
