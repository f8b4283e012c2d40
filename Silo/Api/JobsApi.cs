using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansFlow.Actors;
using OrleansFlow.Cluster;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Models.Registry;
using OrleansFlow.Silo.Hosting;

namespace OrleansFlow.Silo.Api;

/// <summary><c>/v1/jobs</c>: submit (idempotent with <c>Idempotency-Key</c>), get, list, cancel, and progress as server-sent events.</summary>
public static class JobsApi
{
    private const int MaxIdempotencyKeyLength = 200;
    private static readonly TimeSpan EventPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan EventKeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/v1/jobs");
        jobs.MapPost("/", SubmitAsync);
        jobs.MapGet("/", ListAsync);
        jobs.MapGet("/{id}", GetAsync);
        jobs.MapPost("/{id}/cancel", CancelAsync);
        jobs.MapGet("/{id}/events", EventsAsync);
    }

    private static async Task<IResult> SubmitAsync(
        HttpRequest request, IClusterStore store, SamplerDirectory samplers, RegistryResolver registry, IOptions<SiloOptions> options, CancellationToken ct)
    {
        string? key = request.Headers["Idempotency-Key"];
        if (key is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            return ApiError.BadRequest(new SpecException("Idempotency-Key", $"must have 1-{MaxIdempotencyKeyLength} characters"));
        }

        JobSpec spec;
        try
        {
            spec = await JsonSerializer.DeserializeAsync<JobSpec>(request.Body, JobJson.Options, ct)
                ?? throw new SpecException("body", "must be a job spec");
            ApiNames.Require(spec);
            var model = samplers.Get(spec.Model).Model;
            ResolvedJob.Create(registry.Localize(spec), model);
            var submission = new JobSubmission(JobId.New(), spec, model.Info.Key, key, options.Value.MaxAttempts);
            var result = await store.SubmitAsync(submission, ct);
            var view = JobView.Of(result.Job);
            return result.Created
                ? Results.Json(view, JobJson.Options, statusCode: StatusCodes.Status201Created)
                : Results.Json(view, JobJson.Options);
        }
        catch (SpecException e)
        {
            return ApiError.BadRequest(e);
        }
        catch (JsonException e)
        {
            return ApiError.BadRequest(new SpecException(e.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body", FirstLine(e.Message)));
        }
    }

    private static async Task<IResult> GetAsync(string id, IClusterStore store, CancellationToken ct) =>
        await FindAsync(id, store, ct) is { } job ? Results.Json(JobView.Of(job), JobJson.Options) : NotFound(id);

    private static async Task<IResult> ListAsync(IClusterStore store, int? limit, CancellationToken ct)
    {
        var jobs = await store.ListJobsAsync(Math.Clamp(limit ?? 50, 1, 1000), ct);
        return Results.Json(jobs.Select(JobView.Of), JobJson.Options);
    }

    private static async Task<IResult> CancelAsync(string id, IClusterStore store, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct) is not { } job)
        {
            return NotFound(id);
        }

        return await store.CancelJobAsync(job.Id, ct)
            ? Results.Json(JobView.Of((await store.GetJobAsync(job.Id, ct))!), JobJson.Options, statusCode: StatusCodes.Status202Accepted)
            : ApiError.Status(StatusCodes.Status409Conflict, $"job {id} is already {job.State.ToString().ToLowerInvariant()}");
    }

    /// <summary>
    /// <c>event: progress</c> with the job view whenever its progress changes, then one final event
    /// named after the end state (<c>succeeded</c>, <c>failed</c>, <c>cancelled</c>); a comment line
    /// keeps idle connections open through proxies.
    /// </summary>
    private static async Task EventsAsync(string id, HttpContext context, IClusterStore store, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct) is not { } job)
        {
            await NotFound(id).ExecuteAsync(context);
            return;
        }

        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var lastSent = (ShardsDone: -1, State: job.State);
        var lastWrite = DateTimeOffset.UtcNow;
        try
        {
            while (true)
            {
                if (job.IsFinished)
                {
                    await WriteEventAsync(context, job.State.ToString().ToLowerInvariant(), JobView.Of(job), ct);
                    return;
                }

                if ((job.ShardsDone, job.State) != lastSent)
                {
                    await WriteEventAsync(context, "progress", JobView.Of(job), ct);
                    lastSent = (job.ShardsDone, job.State);
                    lastWrite = DateTimeOffset.UtcNow;
                }
                else if (DateTimeOffset.UtcNow - lastWrite > EventKeepAlive)
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                    lastWrite = DateTimeOffset.UtcNow;
                }

                await Task.Delay(EventPoll, ct);
                job = await store.GetJobAsync(job.Id, ct) ?? job;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string name, JobView view, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(view, JobJson.CompactOptions);
        await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private static async Task<JobRecord?> FindAsync(string id, IClusterStore store, CancellationToken ct)
    {
        try
        {
            return await store.GetJobAsync(JobId.Parse(id), ct);
        }
        catch (SpecException)
        {
            return null;
        }
    }

    private static IResult NotFound(string id) => ApiError.Status(StatusCodes.Status404NotFound, $"no job '{id}'");

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
