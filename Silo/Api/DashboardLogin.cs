using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansFlow.Silo.Hosting;

namespace OrleansFlow.Silo.Api;

/// <summary>
/// How a browser opens <c>/dashboard</c>: a form at <c>/dashboard/login</c> takes the bearer token and
/// sets an <c>HttpOnly</c>, <c>SameSite=Strict</c> cookie scoped to <c>/dashboard</c>. The cookie holds an
/// HMAC of the token, not the token, and <see cref="BearerTokenMiddleware"/> accepts it on
/// <c>/dashboard</c> only: the API stays bearer-only, and a leaked cookie opens no <c>/v1</c> call.
/// </summary>
public static class DashboardLogin
{
    public const string Path = "/dashboard/login";
    public const string CookieName = "orleansflow-dashboard";
    public const string CookiePath = "/dashboard";

    /// <summary>The cookie value the token proves: the same on every silo of a cluster (they share the token).</summary>
    public static byte[] CookieValue(string token) =>
        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "orleansflow-dashboard-cookie/1"u8)));

    public static void Map(WebApplication app)
    {
        app.MapGet(Path, () => Page(null, StatusCodes.Status200OK));
        app.MapPost(Path, LoginAsync).DisableAntiforgery();
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IOptions<SiloOptions> options)
    {
        var token = options.Value.Token;
        var given = context.Request.HasFormContentType ? (string?)(await context.Request.ReadFormAsync(context.RequestAborted))["token"] : null;
        // Constant time, as for the bearer header.
        if (token.Length == 0 || given is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.Trim()), Encoding.UTF8.GetBytes(token)))
        {
            return Page("Wrong token: use the silo's OrleansFlow:Token (./run-local-cluster prints it).", StatusCodes.Status401Unauthorized);
        }

        context.Response.Cookies.Append(CookieName, Encoding.ASCII.GetString(CookieValue(token)), new CookieOptions
        {
            Path = CookiePath,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            IsEssential = true,
        });
        return Results.Redirect(CookiePath + "/", permanent: false);
    }

    private static IResult Page(string? error, int status)
    {
        var message = error is null ? string.Empty : $"<p class=\"error\">{System.Net.WebUtility.HtmlEncode(error)}</p>";
        var html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>OrleansFlow dashboard: log in</title>
            <style>body{font-family:sans-serif;max-width:28rem;margin:4rem auto}input{font-size:1rem;padding:.3rem;width:100%;box-sizing:border-box}
            button{margin-top:.8rem;font-size:1rem;padding:.3rem 1rem}.error{color:#b00}</style></head>
            <body><h1>OrleansFlow dashboard</h1>{{message}}
            <form method="post" action="{{Path}}">
            <label for="token">Bearer token of this cluster (<code>OrleansFlow:Token</code>)</label>
            <input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
            <button type="submit">Log in</button></form>
            <p>The token stays in this form: the browser keeps an HttpOnly cookie for <code>/dashboard</code> only.</p>
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }
}
