namespace OrleansFlow.Storage.Azure;

/// <summary>
/// The parts of an Azure Storage connection string the blob store uses: the blob endpoint and either
/// an account key (shared key) or a SAS. <c>UseDevelopmentStorage=true</c> is Azurite's well-known
/// development account.
/// </summary>
public sealed record StorageConnectionString(Uri BlobEndpoint, string AccountName, string? AccountKey, string? SharedAccessSignature)
{
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>The published key of Azurite's (and the old emulator's) development account; not a secret.</summary>
    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static bool LooksLikeOne(string value) =>
        value.Contains('=') && (value.Contains(';') || value.StartsWith("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase));

    public static StorageConnectionString Parse(string connectionString)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                throw new FormatException($"connection string setting '{Redact(part)}' is not Key=Value");
            }

            settings[part[..equals]] = part[(equals + 1)..];
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var development) && bool.TryParse(development, out var useDevelopment) && useDevelopment)
        {
            var proxy = settings.GetValueOrDefault("DevelopmentStorageProxyUri", "http://127.0.0.1");
            return new StorageConnectionString(new Uri($"{proxy.TrimEnd('/')}:10000/{DevelopmentAccountName}"), DevelopmentAccountName, DevelopmentAccountKey, null);
        }

        var account = settings.GetValueOrDefault("AccountName");
        var key = settings.GetValueOrDefault("AccountKey");
        var sas = settings.GetValueOrDefault("SharedAccessSignature")?.TrimStart('?');
        Uri endpoint;
        if (settings.TryGetValue("BlobEndpoint", out var blobEndpoint))
        {
            endpoint = new Uri(blobEndpoint.TrimEnd('/'));
        }
        else if (account is not null)
        {
            var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https");
            var suffix = settings.GetValueOrDefault("EndpointSuffix", "core.windows.net");
            endpoint = new Uri($"{protocol}://{account}.blob.{suffix}");
        }
        else
        {
            throw new FormatException("connection string has neither BlobEndpoint nor AccountName");
        }

        if (key is not null && account is null)
        {
            throw new FormatException("connection string has an AccountKey but no AccountName");
        }

        if (key is null && sas is null)
        {
            throw new FormatException("connection string has neither AccountKey nor SharedAccessSignature");
        }

        return new StorageConnectionString(endpoint, account ?? endpoint.Host.Split('.')[0], key, sas);
    }

    /// <summary>Never prints the key or the SAS.</summary>
    public override string ToString() => $"BlobEndpoint={BlobEndpoint};AccountName={AccountName}";

    private static string Redact(string part) => part.Length <= 12 ? part : part[..12] + "…";
}
