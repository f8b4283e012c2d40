using System.Diagnostics;
using Microsoft.Extensions.Options;
using OrleansFlow.Cluster;
using OrleansFlow.Formats;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using OrleansFlow.Serving;
using OrleansFlow.Silo.Hosting;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Silo.Api;

/// <summary>
/// <c>POST /v1/generate</c>: the low-latency path of the generation backend. This silo's sampler grain for
/// the model loads and warms it; the handler then samples on that warm model directly (the samples
/// never travel in grain messages), without a job, shards or blobs. Sampling runs on the silo's
/// <see cref="GenerateExecutor"/> (dedicated threads, a per-silo cap answered with 429 and
/// <c>Retry-After</c>) through the model's <see cref="GenerateBatcher"/>, with the request's
/// cancellation: a client that gives up stops its work at the next model call.
/// </summary>
public static class GenerateApi
{
    /// <summary>Seconds a client told 429 should wait: about one expensive request's time on a busy silo.</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>Not an HTTP status the client sees (it has gone): the code recorded for a request its client abandoned.</summary>
    public const int ClientClosedRequest = 499;

    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/generate", Generate);

    /// <summary>Traced as <c>generate</c>; its latency (handler time, by status code) is <c>orleansflow.generate.duration</c>.</summary>
    private static async Task<IResult> Generate(GenerateRequest request, IGrainFactory grains, ILocalSiloDetails silo, WarmSamplers warm, GenerateBatchers batchers, IOptions<SiloOptions> options, HttpContext http, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = OrleansFlowMetrics.Tracing.StartActivity("generate");
        activity?.SetTag("orleansflow.model", request.Model);
        activity?.SetTag("orleansflow.samples", request.Samples);
        var result = await GenerateSamples(request, grains, silo, warm, batchers, options.Value, ct);
        if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status429TooManyRequests })
        {
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        if (status >= 400)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
        }

        OrleansFlowMetrics.GenerateDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("http.response.status_code", status));
        return result;
    }

    private static async Task<IResult> GenerateSamples(GenerateRequest request, IGrainFactory grains, ILocalSiloDetails silo, WarmSamplers warm, GenerateBatchers batchers, SiloOptions options, CancellationToken ct)
    {
        try
        {
            ApiNames.RequireModel(request.Model);
            if (request.Format is not ("png" or "array"))
            {
                throw new SpecException("format", $"'{request.Format}' is not allowed: use png or array");
            }

            var spec = new JobSpec
            {
                Kind = JobKind.Generate,
                Model = request.Model,
                Sampler = SamplerSpec.Parse(request.Sampler),
                Samples = request.Samples,
                Seed = request.Seed,
                BatchSize = request.Samples,
                ShardSize = request.Samples,
                Guidance = request.Guidance,
                ClassLabel = request.Class,
                Unconditional = request.Unconditional,
            };
            options.Limits.RequireGenerate(spec);
            // Admitted before the grain call, so a burst is refused before it loads or warms anything.
            using var admitted = batchers.Executor.TryAdmit();
            if (admitted is null)
            {
                OrleansFlowMetrics.GenerateRejected.Add(1);
                return ApiError.Status(StatusCodes.Status429TooManyRequests, $"this silo is generating its limit of {options.MaxConcurrentGenerates} requests; retry after {RetryAfterSeconds} s");
            }

            var key = new SamplerGrainKey(silo.SiloAddress.ToParsableString(), spec.Model).ToGrainKey();
            if (await grains.GetGrain<ISamplerGrain>(key).PrepareAsync(spec, ct) is { } error)
            {
                throw error.ToException();
            }

            if (warm.Find(key) is not { } actor)
            {
                // Evicted between the grain's load and this request (memory budget): the client may retry.
                return ApiError.Status(StatusCodes.Status503ServiceUnavailable, $"the sampler of {spec.Model} was evicted; retry");
            }

            using var busy = actor.Use();
            var job = ResolvedJob.Create(spec, actor.Model);
            var clock = Stopwatch.StartNew();
            var batch = await batchers.For(key, actor, job.Generator).GenerateAsync(job.Generator, request.Samples, ct);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            var shape = batch.Shape;
            var response = new GenerateResponse(
                spec.Model, spec.Sampler.ToString(), shape.ToString(), batch.Count, batch.Labels, batch.Nfe, elapsed,
                request.Format == "png" ? [.. Enumerable.Range(0, batch.Count).Select(i => Convert.ToBase64String(SampleImage.ToPng(batch.Sample(i), shape)))] : null,
                request.Format == "array" ? [.. Enumerable.Range(0, batch.Count).Select(i => batch.Sample(i).ToArray())] : null);
            return Results.Json(response, JobJson.Options);
        }
        catch (SpecException e)
        {
            return ApiError.BadRequest(e);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Results.StatusCode(ClientClosedRequest);
        }
    }
}
