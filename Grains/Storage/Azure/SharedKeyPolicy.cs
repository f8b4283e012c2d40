using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
// Orleans' implicit usings bring Orleans.Runtime.Request into scope too.
using Request = Azure.Core.Request;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// Signs every attempt with the account key, as the Blob service REST docs define "Authorize with
/// Shared Key": HMAC-SHA256 over the verb, the standard headers, the canonicalized <c>x-ms-</c>
/// headers and the canonicalized resource. Runs per retry so each attempt has a fresh <c>x-ms-date</c>.
/// </summary>
public sealed class SharedKeyPolicy : HttpPipelineSynchronousPolicy
{
    private readonly string _accountName;
    private readonly byte[] _key;
    private readonly TimeProvider _clock;

    public SharedKeyPolicy(string accountName, string accountKey, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountName);
        _accountName = accountName;
        _key = Convert.FromBase64String(accountKey);
        _clock = clock ?? TimeProvider.System;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        request.Headers.SetValue("x-ms-date", _clock.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(StringToSign(request))));
        request.Headers.SetValue(HttpHeader.Names.Authorization, $"SharedKey {_accountName}:{signature}");
    }

    /// <summary>The canonical string the signature covers (public so tests can compare it with the docs' examples).</summary>
    public string StringToSign(Request request)
    {
        var contentLength = request.Content is not null && request.Content.TryComputeLength(out var length) && length > 0
            ? length.ToString(CultureInfo.InvariantCulture)
            : string.Empty;
        var text = new StringBuilder()
            .Append(request.Method.Method).Append('\n')
            .Append(Header(request, "Content-Encoding")).Append('\n')
            .Append(Header(request, "Content-Language")).Append('\n')
            .Append(contentLength).Append('\n')
            .Append(Header(request, "Content-MD5")).Append('\n')
            .Append(Header(request, "Content-Type")).Append('\n')
            .Append(string.Empty).Append('\n') // Date: x-ms-date is signed instead.
            .Append(Header(request, "If-Modified-Since")).Append('\n')
            .Append(Header(request, "If-Match")).Append('\n')
            .Append(Header(request, "If-None-Match")).Append('\n')
            .Append(Header(request, "If-Unmodified-Since")).Append('\n')
            .Append(Header(request, "Range")).Append('\n');

        foreach (var header in request.Headers
            .Where(h => h.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Name.ToLowerInvariant(), Value: h.Value.Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            text.Append(header.Name).Append(':').Append(header.Value).Append('\n');
        }

        // Canonicalized resource: /account/encoded-path, then each query parameter (name lower-cased,
        // values decoded and comma-joined) on its own line, ordered by name.
        text.Append('/').Append(_accountName).Append(request.Uri.Path.Length == 0 ? "/" : request.Uri.Path);
        var query = request.Uri.Query.TrimStart('?');
        if (query.Length > 0)
        {
            var parameters = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split('=', 2))
                .Select(pair => (Name: Uri.UnescapeDataString(pair[0]).ToLowerInvariant(), Value: pair.Length > 1 ? Uri.UnescapeDataString(pair[1].Replace('+', ' ')) : string.Empty))
                .GroupBy(p => p.Name, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal);
            foreach (var parameter in parameters)
            {
                text.Append('\n').Append(parameter.Key).Append(':').AppendJoin(',', parameter.Select(p => p.Value).Order(StringComparer.Ordinal));
            }
        }

        return text.ToString();
    }

    private static string Header(Request request, string name) =>
        request.Headers.TryGetValue(name, out var value) ? value : string.Empty;
}
