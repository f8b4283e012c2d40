using OrleansFlow.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansFlow.Jobs;

namespace OrleansFlow.Silo.Tests;

/// <summary>The silo's HTTP API on a real process: auth, limits, validation, the generate backend.</summary>
[Collection(SiloCollection.Name)]
public sealed class ApiTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Jobs_MissingOrWrongToken_401AndNothingCreated(string? token)
    {
        using var http = _cluster.Http(token: token);

        using var post = await http.PostAsync("v1/jobs", Json(JobSpecs.Fid(samples: 100, shardSize: 50)));
        using var list = await http.GetAsync("v1/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        await AssertNothingWrittenAsync();
    }

    [Fact]
    public async Task Jobs_BodyOverTheLimit_413AndNothingCreated()
    {
        using var http = _cluster.Http();
        var padding = new string(' ', 100 * 1024);
        var body = new StringContent("{\"kind\":\"fid\",\"model\":\"gmm-demo\"," + padding + "\"sampler\":\"euler:steps=1\",\"samples\":10}", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync("v1/jobs", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingWrittenAsync();
    }

    [Theory]
    [InlineData("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":0}""", "samples")]
    [InlineData("""{"kind":"fid","model":"gmm-demo","sampler":"rk4:steps=1","samples":10}""", "sampler")]
    [InlineData("""{"kind":"fid","model":"no-such-model","sampler":"euler:steps=1","samples":10}""", "model")]
    [InlineData("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":10,"classLabel":99}""", "class")]
    [InlineData("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":10,"shardSize":-1}""", "shard-size")]
    [InlineData("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":"many"}""", "samples")]
    [InlineData("""not json""", "body")]
    public async Task Jobs_InvalidSpec_400NamingTheFieldAndNothingCreated(string body, string field)
    {
        using var http = _cluster.Http();

        using var response = await http.PostAsync("v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.DoesNotContain('\n', error.GetProperty("error").GetString()!);
        await AssertNothingWrittenAsync();
    }

    [Fact]
    public async Task Jobs_NullMissingUnknownOrMistypedFields_400NamingEachFieldAndNothingCreated()
    {
        using var http = _cluster.Http();
        (string Body, string Field)[] cases =
        [
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":10,"sampels":10}""", "sampels"),
            ("""{"kind":"fid","model":null,"sampler":"euler:steps=1","samples":10}""", "model"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":null,"samples":10}""", "sampler"),
            ("""{"kind":null,"model":"gmm-demo","sampler":"euler:steps=1","samples":10}""", "kind"),
            ("""{"model":"gmm-demo","sampler":"euler:steps=1","samples":10}""", "kind"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1"}""", "samples"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":null}""", "samples"),
            ("""{"kind":7,"model":"gmm-demo","sampler":"euler:steps=1","samples":10}""", "kind"),
            ("""{"kind":"1","model":"gmm-demo","sampler":"euler:steps=1","samples":10}""", "kind"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":10,"images":1}""", "images"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":10,"seed":null}""", "seed"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":1e20}""", "samples"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":4,"samples":10}""", "sampler"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":10,"samples":20}""", "samples"),
            ("""{"kind":"fid","model":"gmm-demo","sampler":"euler:steps=1","samples":10,"shardCount":1}""", "shardCount"),
            ("""[{"kind":"fid"}]""", "body"),
            ("""null""", "body"),
        ];

        foreach (var (body, field) in cases)
        {
            using var response = await http.PostAsync("v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {response.StatusCode}");
            var error = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(field == error.GetProperty("field").GetString(), $"{body}: {error}");
            Assert.StartsWith(field + ": ", error.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error.GetProperty("error").GetString()!);
            Assert.DoesNotContain("OrleansFlow.", error.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("System.", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        await AssertNothingWrittenAsync();
    }

    [Fact]
    public async Task Jobs_OverTheDefaultLimits_400NamingTheFieldAndTheLimitNothingCreated()
    {
        using var http = _cluster.Http();
        (JobSpec Spec, string Field, string Limit)[] cases =
        [
            // The job of 2,000,000 one-sample shards.
            (JobSpecs.Fid(samples: 2_000_000, shardSize: 1), "shard-size", "20,000 shards"),
            (JobSpecs.Fid(samples: 20_000_000, shardSize: 100_000), "samples", "1..10,000,000"),
            (JobSpecs.Fid(samples: 1000, sampler: "heun:steps=2000"), "sampler", "1..1,000"),
            (JobSpecs.Fid(samples: 1_000_000, shardSize: 1000, sampler: "heun:steps=1000"), "samples", "1,000,000,000"),
            (JobSpecs.Fid(samples: 1_000_000, shardSize: 1000, sampler: "heun:steps=300") with { Guidance = 2 }, "samples", "1,000,000,000"),
        ];

        foreach (var (spec, field, limit) in cases)
        {
            using var response = await http.PostAsync("v1/jobs", Json(spec));

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{spec}: {response.StatusCode}");
            var error = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(field, error.GetProperty("field").GetString());
            Assert.Contains(limit, error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        await AssertNothingWrittenAsync();
    }

    [Fact]
    public async Task Jobs_SameIdempotencyKeyDifferentBody_422NamingTheKeySameBodyTheSameJob()
    {
        using var http = _cluster.Http();
        var first = Json(JobSpecs.Fid(samples: 200, shardSize: 100));
        var other = Json(JobSpecs.Fid(samples: 300, shardSize: 100));

        using var created = await PostWithKeyAsync(http, first, "key-1");
        using var again = await PostWithKeyAsync(http, Json(JobSpecs.Fid(samples: 200, shardSize: 100)), "key-1");
        using var conflict = await PostWithKeyAsync(http, other, "key-1");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(
            (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString(),
            (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Equal((HttpStatusCode)422, conflict.StatusCode);
        var error = await conflict.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Idempotency-Key", error.GetProperty("field").GetString());
        Assert.Contains("'key-1'", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await http.GetFromJsonAsync<JsonElement>("v1/jobs")).GetArrayLength());
    }

    [Fact]
    public async Task Jobs_SameIdempotencyKey100TimesConcurrently_OneJob()
    {
        var spec = JobSpecs.Fid(samples: 200, shardSize: 100);

        var ids = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using var client = _cluster.Client();
            return (await client.SubmitAsync(spec, "the-same-key", default)).Id;
        }));

        Assert.Single(ids.Distinct());
        using var http = _cluster.Http();
        var jobs = await http.GetFromJsonAsync<JsonElement>("v1/jobs?limit=1000");
        Assert.Equal(1, jobs.GetArrayLength());
    }

    [Fact]
    public async Task Generate_SixteenSamplesOfOneClass_PngsWithThatLabelFromAWarmSampler()
    {
        using var http = _cluster.Http();
        var request = new { model = "gmm-demo", sampler = "heun:steps=8", samples = 16, @class = 7, format = "png" };

        using var first = await http.PostAsJsonAsync("v1/generate", request);
        using var second = await http.PostAsJsonAsync("v1/generate", request);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var body = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(16, body.GetProperty("png").GetArrayLength());
        Assert.All(body.GetProperty("labels").EnumerateArray(), label => Assert.Equal(7, label.GetInt32()));
        var png = Convert.FromBase64String(body.GetProperty("png")[0].GetString()!);
        Assert.Equal(8, Formats.Png.Decode(png).Width);
        Assert.Equal(16, body.GetProperty("nfe").GetProperty("predictor").GetInt32());
        // The same request twice gives the same samples: noise depends on (seed, index) only.
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("png")[3].GetString(), body.GetProperty("png")[3].GetString());
    }

    [Fact]
    public async Task Generate_TooManySamples_400NamingSamples()
    {
        using var http = _cluster.Http();

        using var response = await http.PostAsJsonAsync("v1/generate", new { model = "gmm-demo", samples = 100_000 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("samples", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Generate_NullMissingUnknownOrMistypedFieldsAndOverLimit_400NamingTheField()
    {
        using var http = _cluster.Http();
        (string Body, string Field)[] cases =
        [
            ("""{"model":null,"sampler":"euler:steps=1","samples":1}""", "model"),
            ("""{"model":"gmm-demo","sampler":null,"samples":1}""", "sampler"),
            ("""{"sampler":"euler:steps=1","samples":1}""", "model"),
            ("""{"model":"gmm-demo","steps":4}""", "steps"),
            ("""{"model":"gmm-demo","samples":"16"}""", "samples"),
            ("""{"model":"gmm-demo","format":null}""", "format"),
            ("""{"model":"gmm-demo","unconditional":1}""", "unconditional"),
            ("""{"model":"gmm-demo","samples":null}""", "samples"),
            ("""not json""", "body"),
            // The 256 samples of Heun with 10,000 steps: over the step limit.
            ("""{"model":"gmm-demo","sampler":"heun:steps=10000","samples":256}""", "sampler"),
            // Within the step limit, over the cost of one request: 256 × 1,000 NFE.
            ("""{"model":"gmm-demo","sampler":"heun:steps=500","samples":256}""", "samples"),
        ];

        foreach (var (body, field) in cases)
        {
            using var response = await http.PostAsync("v1/generate", new StringContent(body, Encoding.UTF8, "application/json"));

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {response.StatusCode}");
            var error = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(field == error.GetProperty("field").GetString(), $"{body}: {error}");
            Assert.DoesNotContain('\n', error.GetProperty("error").GetString()!);
        }
    }

    [Fact]
    public async Task Health_NoToken_LiveAndReady()
    {
        using var http = _cluster.Http(token: null);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
    }

    [Fact]
    public async Task Dashboard_WithoutToken401_WithTokenServed()
    {
        using var anonymous = _cluster.Http(token: null);
        using var authorized = _cluster.Http();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await authorized.GetAsync("dashboard/")).StatusCode);
    }

    private static async Task<HttpResponseMessage> PostWithKeyAsync(HttpClient http, StringContent body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/jobs") { Content = body };
        request.Headers.Add("Idempotency-Key", key);
        return await http.SendAsync(request);
    }

    private static StringContent Json(JobSpec spec) => new(Encoding.UTF8.GetString(JobJson.Serialize(spec)), Encoding.UTF8, "application/json");

    private async Task AssertNothingWrittenAsync()
    {
        using var http = _cluster.Http();
        var jobs = await http.GetFromJsonAsync<JsonElement>("v1/jobs");
        Assert.Equal(0, jobs.GetArrayLength());
        Assert.False(Directory.Exists(Path.Combine(_cluster.StorePath, "jobs")));
    }
}
