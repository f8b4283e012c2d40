using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansFlow.Silo.Hosting;

namespace OrleansFlow.Silo.Api;

/// <summary>Every <c>/v1</c> and <c>/dashboard</c> call must carry <c>Authorization: Bearer &lt;OrleansFlow:Token&gt;</c>; otherwise 401.</summary>
public sealed class BearerTokenMiddleware(RequestDelegate next, IOptions<SiloOptions> options)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Value.Token);

    public async Task InvokeAsync(HttpContext context)
    {
        if ((context.Request.Path.StartsWithSegments("/v1") || context.Request.Path.StartsWithSegments("/dashboard")) && !IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiError.Status(StatusCodes.Status401Unauthorized, "missing or wrong bearer token").ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private bool IsAuthorized(string header)
    {
        const string scheme = "Bearer ";
        if (_expected.Length == 0 || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Constant time, so the token cannot be guessed byte by byte from response times.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _expected);
    }
}
