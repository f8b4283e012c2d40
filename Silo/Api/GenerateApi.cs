using System.Diagnostics;
using Microsoft.Extensions.Options;
using OrleansFlow.Actors;
using OrleansFlow.Formats;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using OrleansFlow.Silo.Hosting;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Silo.Api;

/// <summary>
/// <c>POST /v1/generate</c>: the low-latency path of the generation backend. It samples on this silo's
/// warm actor for the model directly, without a job, shards or blobs.
/// </summary>
public static class GenerateApi
{
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/generate", Generate);

    /// <summary>Traced as <c>generate</c>; its latency (handler time, by status code) is <c>orleansflow.generate.duration</c>.</summary>
    private static IResult Generate(GenerateRequest request, SamplerDirectory samplers, IOptions<SiloOptions> options)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = OrleansFlowMetrics.Tracing.StartActivity("generate");
        activity?.SetTag("orleansflow.model", request.Model);
        activity?.SetTag("orleansflow.samples", request.Samples);
        var result = GenerateSamples(request, samplers, options.Value);
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        if (status >= 400)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
        }

        OrleansFlowMetrics.GenerateDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("http.response.status_code", status));
        return result;
    }

    private static IResult GenerateSamples(GenerateRequest request, SamplerDirectory samplers, SiloOptions options)
    {
        try
        {
            ApiNames.RequireModel(request.Model);
            var max = options.MaxGenerateSamples;
            if (request.Samples < 1 || request.Samples > max)
            {
                throw new SpecException("samples", $"{request.Samples} is out of range: allowed 1..{max} (submit a job for more)");
            }

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
            var actor = samplers.Get(spec.Model);
            using var busy = actor.Use();
            actor.WarmFor(spec);
            var job = ResolvedJob.Create(spec, actor.Model);
            var clock = Stopwatch.StartNew();
            var batch = job.Generator.Generate(0, request.Samples);
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
    }
}
