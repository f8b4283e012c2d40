using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansFlow.Client;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Jobs;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// Configured job limits (<c>OrleansFlow:Limits</c>) on a real silo: the same refusals over HTTP and
/// through the CLI's Orleans client, before anything is written; a job within them runs.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class LimitsTests(PostgresFixture postgres)
{
    private static readonly Dictionary<string, string> Limits = new()
    {
        ["OrleansFlow__Limits__MaxSamples"] = "5000",
        ["OrleansFlow__Limits__MaxShards"] = "10",
        ["OrleansFlow__Limits__MaxSteps"] = "50",
        ["OrleansFlow__Limits__MaxCost"] = "100000",
        ["OrleansFlow__Limits__MaxGenerateSamples"] = "8",
        ["OrleansFlow__Limits__MaxGenerateCost"] = "200",
    };

    [Fact]
    public async Task ConfiguredLimits_HttpAndOrleansClient_400OrExitTwoNamingFieldAndLimitNothingWritten()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1, new ClusterSettings { Environment = Limits });
        using var http = cluster.Http();
        (JobSpec Spec, string Expected)[] jobs =
        [
            (JobSpecs.Fid(samples: 6000, shardSize: 1000), "samples: 6,000 is over this cluster's limit: allowed 1..5,000 per job"),
            (JobSpecs.Fid(samples: 2000, shardSize: 100), "shard-size: 100 makes 20 shards of 2,000 samples, over this cluster's limit of 10 shards per job: use a shard size of at least 200"),
            (JobSpecs.Fid(samples: 1000, shardSize: 100, sampler: "heun:steps=60"), "sampler: heun:steps=60 has 60 steps, over this cluster's limit: allowed 1..50"),
            (JobSpecs.Fid(samples: 5000, shardSize: 500, sampler: "heun:steps=20"), "samples: 5,000 samples × 40 NFE (heun:steps=20) = 200,000 model evaluations, over this cluster's limit of 100,000 per job: allowed up to 2,500 samples with this sampler"),
        ];

        foreach (var (spec, expected) in jobs)
        {
            using var response = await http.PostAsync("v1/jobs", Json(spec));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(expected, error.GetProperty("error").GetString());
            Assert.Equal(expected[..expected.IndexOf(':', StringComparison.Ordinal)], error.GetProperty("field").GetString());
        }

        // The same check on the Orleans client's path (the jobs grain), with nothing written either.
        var outDirectory = Path.Combine(cluster.Root, "out");
        var stderr = new StringWriter();
        var exit = await Cli.RunAsync(
            ["fid", "--samples", "2000", "--shard-size", "100", "--quiet", "--connect-timeout", "120", "--orleans-postgres", OrleansPostgres.ConnectionString(postgres.Server.ConnectionString, cluster.Schema), "--cluster-id", cluster.Schema, "--out", outDirectory],
            new StringWriter(), stderr);
        Assert.Equal(ExitCodes.BadInput, exit);
        // The CLI names its option for the field.
        Assert.Equal($"orleansflow: --{jobs[1].Expected}", stderr.ToString().TrimEnd());
        Assert.False(Directory.Exists(outDirectory));

        (string Body, string Expected)[] generate =
        [
            ("""{"model":"gmm-demo","samples":9}""", "samples: 9 is out of range: allowed 1..8 (submit a job for more)"),
            ("""{"model":"gmm-demo","samples":1,"sampler":"euler:steps=51"}""", "sampler: euler:steps=51 has 51 steps, over this cluster's limit: allowed 1..50"),
            ("""{"model":"gmm-demo","samples":8,"sampler":"heun:steps=20"}""", "samples: 8 samples × 40 NFE (heun:steps=20) = 320 model evaluations, over this cluster's limit of 200 per generate request (submit a job for more): allowed up to 5 samples with this sampler"),
        ];
        foreach (var (body, expected) in generate)
        {
            using var response = await http.PostAsync("v1/generate", new StringContent(body, Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(expected, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }

        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("v1/jobs")).GetArrayLength());
        Assert.False(Directory.Exists(Path.Combine(cluster.StorePath, "jobs")));

        // At the limits exactly: accepted and run.
        using var atLimits = await http.PostAsync("v1/jobs", Json(JobSpecs.Fid(samples: 2500, shardSize: 250, sampler: "heun:steps=20")));
        Assert.Equal(HttpStatusCode.Created, atLimits.StatusCode);
        var id = (await atLimits.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal("succeeded", (await cluster.WaitAsync(id, TimeSpan.FromMinutes(2))).State);
        using var generated = await http.PostAsync("v1/generate", new StringContent("""{"model":"gmm-demo","samples":5,"sampler":"heun:steps=20","format":"array"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
    }

    private static StringContent Json(JobSpec spec) => new(Encoding.UTF8.GetString(JobJson.Serialize(spec)), Encoding.UTF8, "application/json");
}
