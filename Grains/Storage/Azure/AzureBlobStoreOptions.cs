using Azure.Core;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// Options of <see cref="AzureBlobStore"/>: the Azure SDK client options (retry, transport, logging,
/// distributed tracing) plus the upload shape.
/// </summary>
public sealed class AzureBlobStoreOptions : ClientOptions
{
    public const string DefaultServiceVersion = "2021-12-02";

    public AzureBlobStoreOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 5;
        Retry.Delay = TimeSpan.FromMilliseconds(500);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
        foreach (var header in LoggedHeaders)
        {
            Diagnostics.LoggedHeaderNames.Add(header);
        }

        foreach (var parameter in LoggedQueryParameters)
        {
            Diagnostics.LoggedQueryParameters.Add(parameter);
        }
    }

    /// <summary>The Blob service REST version sent as <c>x-ms-version</c>.</summary>
    public string ServiceVersion { get; set; } = DefaultServiceVersion;

    /// <summary>Size of one Put Block (Azure allows up to 4000 MiB; 8 MiB keeps a retry cheap).</summary>
    public int BlockSize { get; set; } = 8 << 20;

    /// <summary>Content up to this size goes in one Put Blob; larger content in blocks.</summary>
    public int SingleUploadThreshold { get; set; } = 8 << 20;

    /// <summary>Put Block requests in flight per upload (each holds one block in memory).</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>List Blobs page size (<c>maxresults</c>; the service caps it at 5000).</summary>
    public int ListPageSize { get; set; } = 5000;

    // As the Azure SDK does: headers and query parameters that carry no secret may be logged.
    private static readonly string[] LoggedHeaders =
    [
        "x-ms-version", "x-ms-date", "x-ms-request-id", "x-ms-client-request-id", "x-ms-error-code",
        "x-ms-blob-type", "x-ms-blob-content-md5", "x-ms-request-server-encrypted", "Content-MD5",
        "If-None-Match", "ETag", "Last-Modified", "Content-Range", "Range",
    ];

    private static readonly string[] LoggedQueryParameters =
    [
        "comp", "restype", "prefix", "marker", "maxresults", "blockid", "sv", "sr", "sp", "se", "st", "spr",
    ];
}
