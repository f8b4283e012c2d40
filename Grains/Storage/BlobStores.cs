using Azure.Core;
using Azure.Identity;
using OrleansFlow.Storage.Azure;

namespace OrleansFlow.Storage;

/// <summary>
/// The blob store a silo's <c>OrleansFlow:Store</c> setting names:
/// <list type="bullet">
/// <item>a local directory path → <see cref="LocalDirectoryBlobStore"/>;</item>
/// <item><c>https://account.blob.core.windows.net/container?sv=…&amp;sig=…</c> → Azure Blob with that SAS;</item>
/// <item><c>https://account.blob.core.windows.net/container</c> → Azure Blob with Azure AD (the given credential, else
/// <c>DefaultAzureCredential</c>, which is workload identity on Kubernetes);</item>
/// <item>a connection string (<c>UseDevelopmentStorage=true</c>, <c>DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…</c>)
/// plus a container name → Azure Blob with shared key (or the connection string's SAS).</item>
/// </list>
/// </summary>
public static class BlobStores
{
    public static IBlobStore Create(string store, string? container = null, TokenCredential? credential = null, AzureBlobStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(store);
        if (store.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || store.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var uri = new Uri(store);
            if (uri.Query.Contains("sig=", StringComparison.Ordinal))
            {
                return AzureBlobStore.FromSasUri(uri, options);
            }

            if (uri.Scheme != Uri.UriSchemeHttps)
            {
                throw new ArgumentException($"blob store '{uri.GetLeftPart(UriPartial.Path)}': Azure AD tokens need https; use a SAS URI or a connection string for http (Azurite)", nameof(store));
            }

            return new AzureBlobStore(uri, credential ?? new DefaultAzureCredential(), options);
        }

        if (LooksLikeConnectionString(store))
        {
            if (string.IsNullOrWhiteSpace(container))
            {
                throw new ArgumentException("a blob store connection string needs a container name (OrleansFlow:StoreContainer)", nameof(container));
            }

            return AzureBlobStore.FromConnectionString(store, container, options);
        }

        return new LocalDirectoryBlobStore(store);
    }

    /// <summary>An Azure Storage connection string (<c>Key=Value;…</c> or <c>UseDevelopmentStorage=true</c>); the SDK parses it.</summary>
    private static bool LooksLikeConnectionString(string value) =>
        value.Contains('=') && (value.Contains(';') || value.StartsWith("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase));
}
