using System.Net;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// A browser opens <c>/dashboard</c> through the login form's cookie; the API stays bearer-only.
/// (docs/dashboard-silos.png is the same flow in headless chromium: tools/dashboard_screenshot.py.)
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class DashboardLoginTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Dashboard_BrowserWithoutCookie_RedirectedToTheLoginForm()
    {
        using var browser = Browser(out _);
        using var request = new HttpRequestMessage(HttpMethod.Get, "dashboard/");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await browser.SendAsync(request);
        using var form = await browser.GetAsync("dashboard/login");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard/login", response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Contains("name=\"token\"", await form.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WrongToken_401AndNoCookie()
    {
        using var browser = Browser(out var cookies);

        using var response = await browser.PostAsync("dashboard/login", Form("wrong-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(cookies.GetAllCookies());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("dashboard/")).StatusCode);
    }

    [Fact]
    public async Task Login_RightToken_HttpOnlyStrictCookieOpensTheDashboardButNotTheApi()
    {
        using var browser = Browser(out var cookies);

        using var response = await browser.PostAsync("dashboard/login", Form(TestCluster.Token));
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        using var dashboard = await browser.GetAsync("dashboard/");
        using var api = await browser.GetAsync("v1/jobs");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard/", response.Headers.Location?.OriginalString);
        Assert.Contains("path=/dashboard", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(TestCluster.Token, setCookie, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Single(cookies.GetAllCookies());
    }

    /// <summary>A client that keeps cookies and, like a test of the redirect, does not follow it.</summary>
    private HttpClient Browser(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        using var probe = _cluster.Http(token: null);
        var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        return new HttpClient(handler) { BaseAddress = probe.BaseAddress };
    }

    private static FormUrlEncodedContent Form(string token) => new([new KeyValuePair<string, string>("token", token)]);
}
