using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansFlow.Models.Registry;
using OrleansFlow.Statistics;
using OrleansFlow.Storage;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// Nothing about the server in what clients read (issue 19): no cache path in a refusal or a summary
/// (libtorch feature networks, registry references), no database host in <c>/readyz</c>.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class NoLeakTests(PostgresFixture postgres)
{
    [Fact]
    public async Task RegistryJob_RefusalViewAndSummary_NameEntriesNeverCachePaths()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);
        await EvaluationSuiteClusterTests.PushDigitsAsync(Path.Combine(EvaluationSuiteClusterTests.RepositoryRoot(), "models"), cluster);
        // Statistics of the wrong dimension for the digits network: refused while the spec is checked.
        var npz = Path.Combine(cluster.Root, "four-d.npz");
        new GaussianStatistics([0, 0, 0, 0], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]).WriteNpz(npz);
        await new ModelRegistry(new LocalDirectoryBlobStore(cluster.StorePath)).PushAsync(RegistryKind.Reference, npz, RegistryName.Parse("four-d", "name"), default);
        using var http = cluster.Http();

        var refused = await PostAsync(http, Spec("four-d"));
        var view = await PostAsync(http, Spec("digits-batch"));

        Assert.True(refused.Status == HttpStatusCode.BadRequest, refused.Body);
        Assert.Equal("reference: the reference has 4-dimensional statistics but the features are 64-dimensional: use a reference made with the same features (--features)", JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetString());
        Assert.True(view.Status == HttpStatusCode.Created, view.Body);
        var id = JsonDocument.Parse(view.Body).RootElement.GetProperty("id").GetString()!;
        var job = await cluster.WaitAsync(id, TimeSpan.FromMinutes(3));
        Assert.True(job.State == "succeeded", job.Error + cluster.Logs());
        var finished = await http.GetStringAsync($"v1/jobs/{id}");
        var summary = await File.ReadAllTextAsync(Path.Combine(cluster.StorePath, "jobs", id, "summary.json"));
        foreach (var text in new[] { refused.Body, finished, summary })
        {
            Assert.DoesNotContain(cluster.Root, text, StringComparison.Ordinal);
            Assert.DoesNotContain("model-cache", text, StringComparison.Ordinal);
        }

        var parsed = JsonNode.Parse(summary)!;
        Assert.EndsWith("features of registry features 'digits-eval' file 'eval.pt'", (string)parsed["featurePreprocessing"]!, StringComparison.Ordinal);
        Assert.StartsWith("registry reference 'digits-batch' file 'reference-batch.npz'", (string)parsed["evaluation"]!["sfidReference"]!, StringComparison.Ordinal);
        Assert.Equal("registry reference 'digits-batch'", (string)parsed["reference"]!);
    }

    [Fact]
    public async Task Readyz_CatalogUnreachable_SaysNotReadyAndNothingElse()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);
        using var probe = cluster.Http(token: null);
        Assert.Equal("ready", await probe.GetStringAsync("readyz"));

        // The catalog's table gone: its queries fail with PostgreSQL's message, which names the server.
        await ExecuteAsync($"ALTER TABLE \"{cluster.Schema}\".jobs RENAME TO jobs_away");
        try
        {
            using var response = await probe.GetAsync("readyz");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("not ready", await response.Content.ReadAsStringAsync());
        }
        finally
        {
            await ExecuteAsync($"ALTER TABLE \"{cluster.Schema}\".jobs_away RENAME TO jobs");
        }

        Assert.Equal("ready", await probe.GetStringAsync("readyz"));
    }

    private static JsonObject Spec(string reference) => new()
    {
        ["kind"] = "fid", ["model"] = "digits-rf", ["sampler"] = "euler:steps=2", ["samples"] = 300, ["shardSize"] = 150, ["batchSize"] = 50,
        ["features"] = "digits-eval", ["reference"] = reference, ["metrics"] = "fid,sfid",
    };

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient http, JsonObject spec)
    {
        using var response = await http.PostAsync("v1/jobs", new StringContent(spec.ToJsonString(), Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(postgres.Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
