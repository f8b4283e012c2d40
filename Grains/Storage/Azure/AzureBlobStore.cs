using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// Blobs in one Azure Blob storage container, on the Azure.Storage.Blobs SDK. Writes are create-only
/// (<c>If-None-Match: *</c> on Put Blob and on Put Block List), so a blob is invisible until its single
/// commit and a committed blob is never replaced. What the SDK lacks is kept here: names are validated
/// before the SDK sees them (it resolves <c>a/../b</c> to <c>b</c>), a conflict is resolved by the
/// blob's MD5 so a retry whose first attempt landed is recognised, and content over one block is not
/// uploaded when the blob already exists.
/// </summary>
public sealed partial class AzureBlobStore : IBlobStore
{
    /// <summary>Activities per store write (the SDK's HTTP spans come under them).</summary>
    public static readonly ActivitySource Activities = new("OrleansFlow.Storage.AzureBlob");

    private readonly BlobContainerClient _container;

    private AzureBlobStore(AzureBlobStoreOptions? options, Func<AzureBlobStoreOptions, BlobContainerClient> createClient)
    {
        Options = options ?? new AzureBlobStoreOptions();
        Options.Validate();
        _container = createClient(Options);
    }

    /// <summary>Azure AD: a token credential (workload identity on Kubernetes, managed identity, …); https only.</summary>
    public AzureBlobStore(Uri containerUri, TokenCredential credential, AzureBlobStoreOptions? options = null)
        : this(options, validated => new BlobContainerClient(ValidateContainerUri(containerUri), credential, validated))
    {
    }

    public AzureBlobStoreOptions Options { get; }

    public string ContainerName => _container.Name;

    /// <summary>The container URI, without any SAS.</summary>
    public string Location => _container.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>Shared key or SAS from a connection string (<c>UseDevelopmentStorage=true</c> for Azurite).</summary>
    public static AzureBlobStore FromConnectionString(string connectionString, string container, AzureBlobStoreOptions? options = null)
    {
        ValidateContainer(container);
        return new AzureBlobStore(options, validated => new BlobContainerClient(connectionString, container, validated));
    }

    /// <summary>A container URI carrying a SAS in its query (<c>https://acct.blob.core.windows.net/c?sv=…&amp;sig=…</c>).</summary>
    public static AzureBlobStore FromSasUri(Uri containerUriWithSas, AzureBlobStoreOptions? options = null)
    {
        if (!containerUriWithSas.Query.Contains("sig=", StringComparison.Ordinal))
        {
            throw new ArgumentException("the container URI has no SAS (no 'sig' query parameter)", nameof(containerUriWithSas));
        }

        return new AzureBlobStore(options, validated => new BlobContainerClient(ValidateContainerUri(containerUriWithSas), validated));
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) =>
        await Blob(name).ExistsAsync(cancellationToken);

    /// <summary>The blob's properties (length, stored <c>Content-MD5</c> as <c>ContentHash</c>), or null if it does not exist.</summary>
    public async Task<BlobProperties?> GetPropertiesAsync(string name, CancellationToken cancellationToken) =>
        await PropertiesOrNullAsync(Blob(name), async: true, cancellationToken);

    public async Task<bool> TryCreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        await CreateAsync(name, write, cancellationToken) == BlobCreateOutcome.Created;

    /// <summary>
    /// Uploads what <paramref name="write"/> produces: one Put Blob up to <see cref="AzureBlobStoreOptions.BlockSize"/>,
    /// else staged blocks and one Put Block List, both create-only and carrying the whole content's MD5.
    /// On 409/412 the existing blob's MD5 decides: this call's own lost attempt → Created, else
    /// AlreadyIdentical or AlreadyDifferent. If the writer or an upload fails, nothing becomes visible
    /// (staged blocks stay uncommitted and the service drops them after a week).
    /// </summary>
    public async Task<BlobCreateOutcome> CreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var blob = Blob(name);
        using var activity = Activities.StartActivity("AzureBlobStore.Create");
        activity?.SetTag("blob.name", name);
        await using var upload = new BlobUploadStream(blob, Options, cancellationToken);
        await write(upload, cancellationToken);
        var outcome = await upload.CommitAsync(cancellationToken);
        activity?.SetTag("blob.outcome", outcome.ToString());
        activity?.SetTag("blob.bytes", upload.Length);
        return outcome;
    }

    /// <summary>Get Blob, streamed (the SDK resumes a broken download from where it stopped).</summary>
    public async Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var download = await Blob(name).DownloadStreamingAsync(cancellationToken: cancellationToken);
            return download.Value.Content;
        }
        catch (RequestFailedException error) when (error.Status == 404)
        {
            throw new FileNotFoundException($"blob '{name}' does not exist in {Location}", name, error);
        }
    }

    /// <summary>List Blobs with a prefix, page by page (the SDK follows the continuation markers).</summary>
    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var blobs = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix.Length == 0 ? null : prefix }, cancellationToken);
        await foreach (var page in blobs.AsPages(pageSizeHint: Options.ListPageSize))
        {
            foreach (var item in page.Values)
            {
                yield return item.Name;
            }
        }
    }

    /// <summary>Create Container, for tests and development; false if it already exists.</summary>
    public async Task<bool> CreateContainerIfNotExistsAsync(CancellationToken cancellationToken) =>
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken) is not null;

    /// <summary>
    /// A service SAS for one blob (needs a shared-key store). Azurite has no prefix-scoped SAS outside
    /// ADLS, so this is a writer's narrowest grant: <c>rcw</c> on its shard, <c>r</c> to check a retry's hash.
    /// </summary>
    public Uri GetBlobSasUri(string name, BlobSasPermissions permissions, DateTimeOffset expiresOn) =>
        Blob(name).GenerateSasUri(permissions, expiresOn);

    /// <summary>A service SAS for the whole container (needs a shared-key store).</summary>
    public Uri GetContainerSasUri(BlobContainerSasPermissions permissions, DateTimeOffset expiresOn) =>
        _container.GenerateSasUri(permissions, expiresOn);

    /// <summary>Get Blob Properties, with 404 as null (403, from a SAS without read, stays an error).</summary>
    internal static async ValueTask<BlobProperties?> PropertiesOrNullAsync(BlobBaseClient blob, bool async, CancellationToken cancellationToken)
    {
        try
        {
            return async ? (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value : blob.GetProperties(cancellationToken: cancellationToken).Value;
        }
        catch (RequestFailedException error) when (error.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The SDK client of a blob, only for a name <see cref="BlobName.Validate"/> accepts.</summary>
    private BlockBlobClient Blob(string name) => _container.GetBlockBlobClient(BlobName.Validate(name));

    private static Uri ValidateContainerUri(Uri containerUri)
    {
        ValidateContainer(new BlobUriBuilder(containerUri).BlobContainerName);
        return containerUri;
    }

    private static string ValidateContainer(string container) =>
        ContainerNamePattern().IsMatch(container) && !container.Contains("--", StringComparison.Ordinal)
            ? container
            : throw new ArgumentException($"'{container}' is not a valid container name (3-63 lower-case letters, digits and single hyphens)", nameof(container));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerNamePattern();
}
