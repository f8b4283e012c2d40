using System.Text.Json;
using OrleansFlow.Cluster;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Silo.Api;

/// <summary>
/// <c>/v1/jobs</c>: submit (idempotent with <c>Idempotency-Key</c>), get, list, cancel, and progress as
/// server-sent events — each a call to the jobs grain or the job's scheduler grain.
/// </summary>
public static class JobsApi
{
    private const int MaxIdempotencyKeyLength = 200;
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

    private static async Task<IResult> SubmitAsync(HttpRequest request, IGrainFactory grains, CancellationToken ct)
    {
        string? key = request.Headers["Idempotency-Key"];
        if (key is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            return ApiError.BadRequest(new SpecException("Idempotency-Key", $"must have 1-{MaxIdempotencyKeyLength} characters"));
        }

        JobSpec spec;
        try
        {
            spec = await RequestJson.ReadAsync<JobSpec>(request, ct);
            // Names only, checked on the text before the spec reaches a grain that could read a file.
            ApiNames.Require(spec);
            spec.Validate();
        }
        catch (SpecException e)
        {
            return ApiError.BadRequest(e);
        }

        var result = await grains.GetGrain<IJobsGrain>(0).SubmitAsync(spec, key, ct);
        if (result.Error is { } error)
        {
            return result.KeyConflict
                ? ApiError.Status(StatusCodes.Status422UnprocessableEntity, error.ToException())
                : ApiError.BadRequest(error.ToException());
        }

        var view = JobView.Of(result.Job!);
        return result.Created
            ? Results.Json(view, JobJson.Options, statusCode: StatusCodes.Status201Created)
            : Results.Json(view, JobJson.Options);
    }

    private static async Task<IResult> GetAsync(string id, IGrainFactory grains, CancellationToken ct) =>
        await FindAsync(id, grains, ct) is { } job ? Results.Json(JobView.Of(job), JobJson.Options) : NotFound(id);

    private static async Task<IResult> ListAsync(IGrainFactory grains, int? limit, CancellationToken ct)
    {
        var jobs = await grains.GetGrain<IJobsGrain>(0).ListAsync(Math.Clamp(limit ?? 50, 1, 1000), ct);
        return Results.Json(jobs.Select(JobView.Of), JobJson.Options);
    }

    private static async Task<IResult> CancelAsync(string id, IGrainFactory grains, CancellationToken ct)
    {
        if (await FindAsync(id, grains, ct) is not { } job)
        {
            return NotFound(id);
        }

        var scheduler = grains.GetGrain<IJobSchedulerGrain>(job.Job);
        return await scheduler.CancelAsync(ct)
            ? Results.Json(JobView.Of((await scheduler.GetAsync(ct))!), JobJson.Options, statusCode: StatusCodes.Status202Accepted)
            : ApiError.Status(StatusCodes.Status409Conflict, $"job {id} is already {job.State.ToString().ToLowerInvariant()}");
    }

    /// <summary>
    /// <c>event: progress</c> with the job view whenever its scheduler reports a change (<see cref="JobFeed"/>), then one final event
    /// named after the end state (<c>succeeded</c>, <c>failed</c>, <c>cancelled</c>); a comment line
    /// keeps idle connections open through proxies.
    /// </summary>
    private static async Task EventsAsync(string id, HttpContext context, IGrainFactory grains, CancellationToken ct)
    {
        if (await FindAsync(id, grains, ct) is not { } job)
        {
            await NotFound(id).ExecuteAsync(context);
            return;
        }

        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var lastSent = (ShardsDone: -1, State: job.State);
        var lastWrite = DateTimeOffset.UtcNow;
        using var feed = new JobFeed(grains);
        try
        {
            var scheduler = grains.GetGrain<IJobSchedulerGrain>(job.Job);
            await foreach (var update in feed.FollowAsync(scheduler.SubscribeAsync, ct))
            {
                if (update.IsFinished)
                {
                    await WriteEventAsync(context, update.State.ToString().ToLowerInvariant(), JobView.Of(update), ct);
                    return;
                }

                if ((update.ShardsDone, update.State) != lastSent)
                {
                    await WriteEventAsync(context, "progress", JobView.Of(update), ct);
                    lastSent = (update.ShardsDone, update.State);
                    lastWrite = DateTimeOffset.UtcNow;
                }
                else if (DateTimeOffset.UtcNow - lastWrite > EventKeepAlive)
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                    lastWrite = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            await feed.UnsubscribeAsync(job.Job);
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string name, JobView view, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(view, JobJson.CompactOptions);
        await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
    }

    /// <summary>The job, or null for an unknown or malformed id; a scheduler whose silo just died is asked again on a survivor.</summary>
    private static async Task<JobRecord?> FindAsync(string id, IGrainFactory grains, CancellationToken ct)
    {
        JobId job;
        try
        {
            job = JobId.Parse(id);
        }
        catch (SpecException)
        {
            return null;
        }

        return await grains.GetGrain<IJobSchedulerGrain>(job.Value).GetAsync(ct);
    }

    private static IResult NotFound(string id) => ApiError.Status(StatusCodes.Status404NotFound, $"no job '{id}'");
}
