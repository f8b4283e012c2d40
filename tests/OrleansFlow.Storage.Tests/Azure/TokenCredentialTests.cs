using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using OrleansFlow.Storage.Azure;

namespace OrleansFlow.Storage.Tests.Azure;

/// <summary>
/// Azure AD auth is wired to the pipeline, checked without a network: Azurite does not check OAuth
/// permissions (REFERENCES), so what matters here is the header and the scope the store asks for.
/// </summary>
public sealed class TokenCredentialTests
{
    [Fact]
    public async Task TokenCredential_EveryRequest_BearerTokenForStorageScope()
    {
        var credential = new FixedCredential();
        var handler = new CapturingHandler();
        var options = new AzureBlobStoreOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        var store = new AzureBlobStore(new Uri("https://account.blob.core.windows.net/samples"), credential, options);

        Assert.False(await store.ExistsAsync("jobs/j1/summary.json", default));

        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes);
        var request = Assert.Single(handler.Requests);
        Assert.Equal("Bearer test-token", request.Headers.Authorization?.ToString());
        Assert.Equal("https://account.blob.core.windows.net/samples/jobs/j1/summary.json", request.RequestUri!.AbsoluteUri);
        Assert.Equal(["2025-01-05"], request.Headers.GetValues("x-ms-version"));
    }

    [Fact]
    public void TokenCredential_PlainHttp_RefusedBeforeSendingTheToken()
    {
        var handler = new CapturingHandler();
        var options = new AzureBlobStoreOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };

        // The SDK refuses at construction: a bearer token must never travel in clear text.
        Assert.Throws<ArgumentException>(() => new AzureBlobStore(new Uri("http://account.blob.core.windows.net/samples"), new FixedCredential(), options));

        Assert.Empty(handler.Requests);
    }

    private sealed class FixedCredential : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return new AccessToken("test-token", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            var notFound = new HttpResponseMessage(HttpStatusCode.NotFound);
            notFound.Headers.Add("x-ms-error-code", "BlobNotFound");
            return Task.FromResult(notFound);
        }
    }
}
