using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansFlow.Silo.Hosting;

namespace OrleansFlow.Silo.Api;

/// <summary>
/// Every <c>/v1</c> call must carry <c>Authorization: Bearer &lt;OrleansFlow:Token&gt;</c>; otherwise 401.
/// <c>/dashboard</c> takes the same header or the cookie of <see cref="DashboardLogin"/>; a browser
/// without either is sent to the login form.
/// </summary>
public sealed class BearerTokenMiddleware(RequestDelegate next, IOptions<SiloOptions> options)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Value.Token);
    private readonly byte[] _cookie = DashboardLogin.CookieValue(options.Value.Token);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var dashboard = request.Path.StartsWithSegments(DashboardLogin.CookiePath) && !request.Path.StartsWithSegments(DashboardLogin.Path);
        if (dashboard && !IsAuthorized(request.Headers.Authorization.ToString()) && !HasCookie(request))
        {
            if (HttpMethods.IsGet(request.Method) && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Redirect(DashboardLogin.Path);
                return;
            }

            await RefuseAsync(context);
            return;
        }

        if (request.Path.StartsWithSegments("/v1") && !IsAuthorized(request.Headers.Authorization.ToString()))
        {
            await RefuseAsync(context);
            return;
        }

        await next(context);
    }

    private static async Task RefuseAsync(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ApiError.Status(StatusCodes.Status401Unauthorized, "missing or wrong bearer token").ExecuteAsync(context);
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

    private bool HasCookie(HttpRequest request) =>
        _expected.Length > 0 && request.Cookies.TryGetValue(DashboardLogin.CookieName, out var value) && value is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(value), _cookie);
}
