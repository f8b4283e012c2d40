using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OrleansFlow.Cluster;
using OrleansFlow.Jobs;

namespace OrleansFlow.Client.Cluster;

/// <summary>The silo API as the CLI uses it: submit a job, follow its server-sent events, read it.</summary>
public sealed class ClusterClient : IClusterJobs, IDisposable
{
    private readonly HttpClient _http;

    public ClusterClient(Uri cluster, string token, HttpMessageHandler? handler = null)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = cluster;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<ClusterJob> SubmitAsync(JobSpec spec, string idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/jobs") { Content = JsonContent.Create(spec, options: JobJson.Options) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await _http.SendAsync(request, cancellationToken);
        return await ReadAsync<ClusterJob>(response, cancellationToken);
    }

    public async Task<ClusterJob> GetAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"v1/jobs/{Uri.EscapeDataString(id)}", cancellationToken);
        return await ReadAsync<ClusterJob>(response, cancellationToken);
    }

    /// <summary>The job's events until it finishes: each progress event, then the final one.</summary>
    public async IAsyncEnumerable<ClusterJob> FollowAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"v1/jobs/{Uri.EscapeDataString(id)}/events", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            await ReadAsync<ClusterJob>(response, cancellationToken);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            // Server-sent events: "event: name", "data: json", a blank line; ":" lines are keep-alives.
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                yield return JsonSerializer.Deserialize<ClusterJob>(line["data: ".Length..], JobJson.Options)!;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return (await response.Content.ReadFromJsonAsync<T>(JobJson.Options, cancellationToken))!;
        }

        ClusterError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync<ClusterError>(JobJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            // Not one of ours (a proxy's page): report the status alone.
        }

        var message = error?.Error ?? $"{(int)response.StatusCode} {response.ReasonPhrase}";
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            // The silo's message already starts with "field: "; SpecException adds it again.
            var field = error?.Field ?? "spec";
            throw new SpecException(field, message.StartsWith(field + ": ", StringComparison.Ordinal) ? message[(field.Length + 2)..] : message);
        }

        throw new ClusterRequestException(response.StatusCode, message);
    }
}

/// <summary>A job as the silo API returns it.</summary>
public sealed record ClusterJob(string Id, string State, JobSpec Spec, int ShardCount, int ShardsDone, long SamplesDone, long Samples,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error, JobSummary? Summary,
    string? Scheduler = null, IReadOnlyDictionary<string, int>? InFlight = null, int Attempts = 0)
{
    public bool IsFinished => State is "succeeded" or "failed" or "cancelled";

    /// <summary>A job as its scheduler grain reports it, in the API's shape (states in lower case as in its JSON).</summary>
    public static ClusterJob Of(JobRecord job) => new(
        job.Job, job.State.ToString().ToLowerInvariant(), job.Spec, job.ShardCount, job.ShardsDone, job.SamplesDone, job.Spec.Samples,
        job.CreatedAt, job.FinishedAt, job.Error, job.Summary, job.Scheduler, job.InFlight, job.Attempts);
}

/// <summary>The error body of the silo API.</summary>
public sealed record ClusterError(string Error, string? Field);

/// <summary>The cluster refused a request for a reason other than bad input (401, 404, 5xx).</summary>
public sealed class ClusterRequestException(HttpStatusCode status, string message) : Exception($"cluster answered {(int)status}: {message}")
{
    public HttpStatusCode Status { get; } = status;
}
