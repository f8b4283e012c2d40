using Azure;

namespace OrleansFlow.Storage.Azure;

/// <summary>What Get Blob Properties says about a blob: its length, stored <c>Content-MD5</c> (null if none) and ETag.</summary>
public sealed record AzureBlobProperties(long Length, byte[]? ContentMd5, ETag? ETag);
