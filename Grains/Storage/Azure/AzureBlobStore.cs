using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// Blobs in one Azure Blob storage container, over the Blob service REST API on Azure.Core's HTTP
/// pipeline (retries, logging and distributed tracing as the Azure SDKs do; Azure.Storage.Blobs cannot
/// be restored here, see DESIGN.md). Writes are create-only: <c>If-None-Match: *</c> on Put Blob and on
/// Put Block List, so a blob is invisible until its single commit and a committed blob is never
/// replaced. A conflict is resolved by content MD5, so a retry whose first attempt landed is recognised.
/// </summary>
public sealed partial class AzureBlobStore : IBlobStore
{
    /// <summary>Activities per store operation (HTTP spans come from Azure.Core under them).</summary>
    public static readonly ActivitySource Activities = new("OrleansFlow.Storage.AzureBlob");

    internal const string AttemptProperty = "OrleansFlow.Attempt";

    internal static readonly ResponseClassifier ExistsClassifier = new StatusCodeClassifier([200, 404]);
    internal static readonly ResponseClassifier PropertiesClassifier = new StatusCodeClassifier([200, 403, 404]);
    internal static readonly ResponseClassifier CreateClassifier = new StatusCodeClassifier([201, 409, 412]);
    private static readonly ResponseClassifier ContainerClassifier = new StatusCodeClassifier([201, 409]);

    private readonly HttpPipeline _pipeline;
    private readonly string _containerUri;
    private readonly string _sas;

    private AzureBlobStore(Uri containerUri, string? sas, HttpPipelinePolicy? authentication, AzureBlobStoreOptions? options)
    {
        Options = options ?? new AzureBlobStoreOptions();
        if (Options.BlockSize <= 0 || Options.MaxConcurrency <= 0 || Options.ListPageSize is <= 0 or > 5000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BlockSize and MaxConcurrency must be positive, ListPageSize 1-5000");
        }

        _containerUri = containerUri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        ContainerName = ValidateContainer(_containerUri[(_containerUri.LastIndexOf('/') + 1)..]);
        _sas = sas?.TrimStart('?') ?? string.Empty;
        HttpPipelinePolicy[] perRetry = authentication is null ? [new AttemptPolicy()] : [new AttemptPolicy(), authentication];
        _pipeline = HttpPipelineBuilder.Build(Options, perCallPolicies: [], perRetryPolicies: perRetry, new ResponseClassifier());
    }

    /// <summary>Azure AD: a token credential (workload identity on Kubernetes, managed identity, …); https only.</summary>
    public AzureBlobStore(Uri containerUri, TokenCredential credential, AzureBlobStoreOptions? options = null)
        : this(containerUri, null, new BearerTokenAuthenticationPolicy(credential, "https://storage.azure.com/.default"), options)
    {
    }

    public AzureBlobStoreOptions Options { get; }

    public string ContainerName { get; }

    /// <summary>The container URI, without any SAS.</summary>
    public string Location => _containerUri;

    /// <summary>Shared key or SAS from a connection string (<c>UseDevelopmentStorage=true</c> for Azurite).</summary>
    public static AzureBlobStore FromConnectionString(string connectionString, string container, AzureBlobStoreOptions? options = null)
    {
        var parsed = StorageConnectionString.Parse(connectionString);
        var containerUri = new Uri($"{parsed.BlobEndpoint.AbsoluteUri.TrimEnd('/')}/{ValidateContainer(container)}");
        return parsed.AccountKey is { } key
            ? new AzureBlobStore(containerUri, null, new SharedKeyPolicy(parsed.AccountName, key), options)
            : new AzureBlobStore(containerUri, parsed.SharedAccessSignature, null, options);
    }

    /// <summary>A container URI carrying a SAS in its query (<c>https://acct.blob.core.windows.net/c?sv=…&amp;sig=…</c>).</summary>
    public static AzureBlobStore FromSasUri(Uri containerUriWithSas, AzureBlobStoreOptions? options = null)
    {
        if (!containerUriWithSas.Query.Contains("sig=", StringComparison.Ordinal))
        {
            throw new ArgumentException("the container URI has no SAS (no 'sig' query parameter)", nameof(containerUriWithSas));
        }

        return new AzureBlobStore(containerUriWithSas, containerUriWithSas.Query, null, options);
    }

    public static AzureBlobStore WithSharedKey(Uri containerUri, string accountName, string accountKey, AzureBlobStoreOptions? options = null) =>
        new(containerUri, null, new SharedKeyPolicy(accountName, accountKey), options);

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) =>
        await GetPropertiesAsync(name, cancellationToken) is not null;

    /// <summary>Get Blob Properties: the blob's length and stored <c>Content-MD5</c>, or null if it does not exist.</summary>
    public async Task<AzureBlobProperties?> GetPropertiesAsync(string name, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Head, BlobName.Validate(name), null, ExistsClassifier);
        await _pipeline.SendAsync(message, cancellationToken);
        return PropertiesOf(message.Response);
    }

    public async Task<bool> TryCreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        await CreateAsync(name, write, cancellationToken) == BlobCreateOutcome.Created;

    /// <summary>
    /// Uploads what <paramref name="write"/> produces: one Put Blob up to <see cref="AzureBlobStoreOptions.BlockSize"/>,
    /// else Put Blocks and one Put Block List, both with <c>If-None-Match: *</c> and the content MD5.
    /// On 409/412 the existing blob's MD5 decides: this call's own lost attempt → Created, else
    /// AlreadyIdentical or AlreadyDifferent. If the writer or an upload fails, nothing becomes visible
    /// (uploaded blocks stay uncommitted and the service drops them after a week).
    /// </summary>
    public async Task<BlobCreateOutcome> CreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        BlobName.Validate(name);
        using var activity = Activities.StartActivity("AzureBlobStore.Create");
        activity?.SetTag("blob.name", name);
        await using var upload = new BlobUploadStream(this, name, cancellationToken);
        await write(upload, cancellationToken);
        var outcome = await upload.CommitAsync(cancellationToken);
        activity?.SetTag("blob.outcome", outcome.ToString());
        activity?.SetTag("blob.bytes", upload.Length);
        return outcome;
    }

    /// <summary>Get Blob, streamed: the caller reads the response body as it arrives.</summary>
    public async Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var message = CreateMessage(RequestMethod.Get, BlobName.Validate(name), null, ExistsClassifier);
        try
        {
            message.BufferResponse = false;
            await _pipeline.SendAsync(message, cancellationToken);
            if (message.Response.Status == 404)
            {
                throw new FileNotFoundException($"blob '{name}' does not exist in {Location}", name);
            }

            EnsureStatus(message.Response, 200);

            return message.ExtractResponseContent() ?? Stream.Null;
        }
        finally
        {
            message.Dispose();
        }
    }

    /// <summary>List Blobs with a prefix, page by page (following <c>NextMarker</c>).</summary>
    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        string? marker = null;
        do
        {
            var query = $"restype=container&comp=list&maxresults={Options.ListPageSize}";
            if (prefix.Length > 0)
            {
                query += "&prefix=" + Uri.EscapeDataString(prefix);
            }

            if (marker is not null)
            {
                query += "&marker=" + Uri.EscapeDataString(marker);
            }

            List<string> names;
            using (var message = CreateMessage(RequestMethod.Get, null, query, null))
            {
                await _pipeline.SendAsync(message, cancellationToken);
                EnsureStatus(message.Response, 200);
                (names, marker) = ParseListPage(message.Response.ContentStream!);
            }

            foreach (var name in names)
            {
                yield return name;
            }
        }
        while (!string.IsNullOrEmpty(marker));
    }

    /// <summary>Create Container, for tests and development; false if it already exists.</summary>
    public async Task<bool> CreateContainerIfNotExistsAsync(CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Put, null, "restype=container", ContainerClassifier);
        await _pipeline.SendAsync(message, cancellationToken);
        return EnsureStatus(message.Response, 201, 409) == 201;
    }

    internal HttpMessage CreateMessage(RequestMethod method, string? name, string? query, ResponseClassifier? classifier)
    {
        var message = classifier is null ? _pipeline.CreateMessage() : _pipeline.CreateMessage(null, classifier);
        message.Request.Method = method;
        var uri = name is null ? _containerUri : $"{_containerUri}/{EncodeName(name)}";
        var fullQuery = string.Join('&', new[] { query, _sas }.Where(part => !string.IsNullOrEmpty(part)));
        message.Request.Uri.Reset(new Uri(fullQuery.Length == 0 ? uri : $"{uri}?{fullQuery}"));
        message.Request.Headers.SetValue("x-ms-version", Options.ServiceVersion);
        return message;
    }

    internal ValueTask SendAsync(HttpMessage message, bool async, CancellationToken cancellationToken)
    {
        if (async)
        {
            return _pipeline.SendAsync(message, cancellationToken);
        }

        _pipeline.Send(message, cancellationToken);
        return ValueTask.CompletedTask;
    }

    internal static AzureBlobProperties? PropertiesOf(Response response)
    {
        if (EnsureStatus(response, 200, 404) == 404)
        {
            return null;
        }

        var md5 = response.Headers.TryGetValue("Content-MD5", out var value) && value.Length > 0 ? Convert.FromBase64String(value) : null;
        var length = response.Headers.ContentLength ?? 0;
        return new AzureBlobProperties(length, md5, response.Headers.ETag);
    }

    internal static int EnsureStatus(Response response, params ReadOnlySpan<int> expected)
    {
        foreach (var status in expected)
        {
            if (response.Status == status)
            {
                return status;
            }
        }

        throw new RequestFailedException(response);
    }

    /// <summary>
    /// Each '/'-separated segment percent-encoded on its own (after <see cref="BlobName.Validate"/> has
    /// rejected '.', '..' and empty segments), so the service sees exactly the name given: "%2e%2e" stays
    /// a literal segment and no URL normalisation can merge two names.
    /// </summary>
    internal static string EncodeName(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    private static (List<string> Names, string? NextMarker) ParseListPage(Stream xml)
    {
        var root = XDocument.Load(xml).Root ?? throw new InvalidDataException("List Blobs returned no XML");
        var names = root.Element("Blobs")?.Elements("Blob").Select(blob =>
        {
            var element = blob.Element("Name") ?? throw new InvalidDataException("List Blobs returned a blob without a name");
            return (string?)element.Attribute("Encoded") == "true" ? Uri.UnescapeDataString(element.Value) : element.Value;
        }).ToList() ?? [];
        return (names, (string?)root.Element("NextMarker"));
    }

    private static string ValidateContainer(string container) =>
        ContainerNamePattern().IsMatch(container) && !container.Contains("--", StringComparison.Ordinal)
            ? container
            : throw new ArgumentException($"'{container}' is not a valid container name (3-63 lower-case letters, digits and single hyphens)", nameof(container));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerNamePattern();

    /// <summary>Counts the attempts of a message, so a conflict after a retried attempt can be recognised as our own write.</summary>
    private sealed class AttemptPolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            var attempt = message.TryGetProperty(AttemptProperty, out var value) && value is int previous ? previous + 1 : 1;
            message.SetProperty(AttemptProperty, attempt);
        }
    }
}
