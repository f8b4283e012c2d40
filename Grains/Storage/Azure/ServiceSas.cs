using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansFlow.Storage.Azure;

/// <summary>Permissions of a service SAS, written in the service's order (<c>racwdl</c>).</summary>
[Flags]
public enum BlobSasPermissions
{
    None = 0,
    Read = 1,
    Add = 2,
    Create = 4,
    Write = 8,
    Delete = 16,
    List = 32,
}

/// <summary>
/// Service SAS tokens signed with the account key (Blob service REST docs, "Create a service SAS",
/// version 2020-12-06 and later): a blob SAS lets its holder touch one blob name, a container SAS the
/// whole container. The silo can hand a short-lived, create-only blob SAS to a writer.
/// </summary>
public static class ServiceSas
{
    public const string Version = "2021-12-02";

    /// <summary>The query string (without '?') of a SAS for one blob.</summary>
    public static string ForBlob(string accountName, string accountKey, string container, string blobName, BlobSasPermissions permissions, DateTimeOffset expiresOn, DateTimeOffset? startsOn = null) =>
        Sign(accountName, accountKey, $"/blob/{accountName}/{container}/{BlobName.Validate(blobName)}", "b", permissions & ~BlobSasPermissions.List, expiresOn, startsOn);

    /// <summary>The query string (without '?') of a SAS for a whole container.</summary>
    public static string ForContainer(string accountName, string accountKey, string container, BlobSasPermissions permissions, DateTimeOffset expiresOn, DateTimeOffset? startsOn = null) =>
        Sign(accountName, accountKey, $"/blob/{accountName}/{container}", "c", permissions, expiresOn, startsOn);

    public static string PermissionString(BlobSasPermissions permissions)
    {
        var text = new StringBuilder();
        foreach (var (flag, letter) in new[]
        {
            (BlobSasPermissions.Read, 'r'), (BlobSasPermissions.Add, 'a'), (BlobSasPermissions.Create, 'c'),
            (BlobSasPermissions.Write, 'w'), (BlobSasPermissions.Delete, 'd'), (BlobSasPermissions.List, 'l'),
        })
        {
            if (permissions.HasFlag(flag))
            {
                text.Append(letter);
            }
        }

        return text.ToString();
    }

    private static string Sign(string accountName, string accountKey, string canonicalResource, string resource, BlobSasPermissions permissions, DateTimeOffset expiresOn, DateTimeOffset? startsOn)
    {
        var sp = PermissionString(permissions);
        if (sp.Length == 0)
        {
            throw new ArgumentException("a SAS needs at least one permission", nameof(permissions));
        }

        var st = startsOn is { } start ? Format(start) : string.Empty;
        var se = Format(expiresOn);
        // sp, st, se, resource, si, sip, spr, sv, sr, snapshot, ses, rscc, rscd, rsce, rscl, rsct.
        var stringToSign = string.Join('\n', sp, st, se, canonicalResource, string.Empty, string.Empty, string.Empty, Version, resource,
            string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(accountKey), Encoding.UTF8.GetBytes(stringToSign)));
        var query = new StringBuilder($"sv={Version}");
        if (st.Length > 0)
        {
            query.Append("&st=").Append(Uri.EscapeDataString(st));
        }

        query.Append("&se=").Append(Uri.EscapeDataString(se))
            .Append("&sr=").Append(resource)
            .Append("&sp=").Append(sp)
            .Append("&sig=").Append(Uri.EscapeDataString(signature));
        return query.ToString();
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
