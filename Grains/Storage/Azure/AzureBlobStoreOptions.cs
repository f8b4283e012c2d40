using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// Options of <see cref="AzureBlobStore"/>: the Blob SDK's client options (retry, transport, logging,
/// tracing, service version) with the store's defaults, plus the shape of its uploads.
/// </summary>
public sealed class AzureBlobStoreOptions : BlobClientOptions
{
    /// <summary>
    /// The REST version sent. Pinned rather than the SDK's latest so that Azurite (3.37 knows up to
    /// 2025-01-05) accepts it without <c>--skipApiVersionCheck</c> (../shared/STACK.md).
    /// </summary>
    public const ServiceVersion DefaultServiceVersion = ServiceVersion.V2025_01_05;

    public AzureBlobStoreOptions(ServiceVersion version = DefaultServiceVersion)
        : base(version)
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 5;
        Retry.Delay = TimeSpan.FromMilliseconds(500);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(100);

        // MD5 per request, never CRC64/Auto: on Azurite 3.37 the structured-message framing of CRC64
        // validation is stored into the blob (../shared/STACK.md). Downloads are whole-blob streams and
        // MD5 download validation only works on ranges <= 4 MiB, so reads are not validated per request.
        TransferValidation.Upload.ChecksumAlgorithm = StorageChecksumAlgorithm.MD5;
        TransferValidation.Download.ChecksumAlgorithm = StorageChecksumAlgorithm.None;
        TransferValidation.Download.AutoValidateChecksum = false;

        AddPolicy(new AttemptCounter.Policy(), HttpPipelinePosition.PerRetry);
    }

    /// <summary>Size of one staged block (Azure allows up to 4000 MiB; 8 MiB keeps a retry cheap). Content up to one block is one Put Blob.</summary>
    public int BlockSize { get; set; } = 8 << 20;

    /// <summary>Blocks staged at once per upload (each holds one block in memory).</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>List Blobs page size (<c>maxresults</c>; the service caps it at 5000).</summary>
    public int ListPageSize { get; set; } = 5000;

    internal void Validate()
    {
        if (BlockSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, "BlockSize must be 1 byte to 2 GiB");
        }

        if (MaxConcurrency is <= 0 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be 1-64");
        }

        if (ListPageSize is <= 0 or > 5000)
        {
            throw new ArgumentOutOfRangeException(nameof(ListPageSize), ListPageSize, "ListPageSize must be 1-5000");
        }
    }
}
