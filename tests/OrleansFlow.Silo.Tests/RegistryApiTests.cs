using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>Models by registry name on real silo processes, and no paths through the API (issue 13).</summary>
[Collection(SiloCollection.Name)]
public sealed class RegistryApiTests(PostgresFixture postgres)
{
    private const string Mixture = """
        {"shape":[1,2,2], "weights":[0.5,0.5], "means":[[1,0,0,1],[-1,0,1,0]], "stds":[0.2,0.3], "classes":[0,1]}
        """;

    private static readonly DateTime LongAgo = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Api_PathInAnyModelFeaturesOrReferenceField_400NamingItNothingReadAndOneAnswerForExistingOrMissing()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);
        var outside = Path.Combine(cluster.Root, "outside");
        Directory.CreateDirectory(Path.Combine(outside, "pkg"));
        var planted = new[] { Path.Combine(outside, "secret.json"), Path.Combine(outside, "pkg", "model.json"), Path.Combine(outside, "stats.npz") };
        foreach (var file in planted)
        {
            File.WriteAllText(file, Mixture);
            File.SetLastAccessTimeUtc(file, LongAgo);
        }

        string[] Values(string existing) =>
        [
            existing, existing + ".missing", Path.Combine(outside, "pkg"), Path.Combine(outside, "no-such-pkg"),
            "../outside/secret.json", "store/../../outside/secret.json", "..\\outside\\secret.json", "C:\\outside\\secret.json",
            "gmm:" + existing, "gmm:" + existing + ".missing", "gmm:../outside/secret.json", "~/secret.json",
        ];

        using var http = cluster.Http();
        foreach (var field in new[] { "model", "features", "reference" })
        {
            var bodies = new HashSet<string>();
            foreach (var value in Values(field == "reference" ? planted[2] : planted[0]))
            {
                var spec = new JsonObject { ["kind"] = "fid", ["model"] = "gmm-demo", ["sampler"] = "euler:steps=1", ["samples"] = 10, [field] = value };
                using var response = await http.PostAsync("v1/jobs", new StringContent(spec.ToJsonString(), Encoding.UTF8, "application/json"));
                bodies.Add(await AssertBadRequestAsync(response, field, value));
            }

            // The same sentence for every value: whether a path exists is never told.
            Assert.Single(bodies);
        }

        var generateBodies = new HashSet<string>();
        foreach (var value in Values(planted[0]))
        {
            using var response = await http.PostAsJsonAsync("v1/generate", new { model = value, sampler = "euler:steps=1", samples = 1 });
            generateBodies.Add(await AssertBadRequestAsync(response, "model", value));
        }

        Assert.Single(generateBodies);
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("v1/jobs")).GetArrayLength());
        Assert.All(planted, file => Assert.Equal(LongAgo, File.GetLastAccessTimeUtc(file)));

        // The instrument works: reading a planted file does move its access time (relatime: atime < mtime).
        _ = File.ReadAllBytes(planted[0]);
        Assert.NotEqual(LongAgo, File.GetLastAccessTimeUtc(planted[0]));
    }

    [Fact]
    public async Task Registry_ModelPushedByName_ThreeSilosEachDownloadIt_CorruptEntryFailsNamingTheFile_NewNameWorks()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 3);
        var store = new LocalDirectoryBlobStore(cluster.StorePath);
        var registry = new ModelRegistry(store);
        var source = Path.Combine(cluster.Root, "mixture.json");
        await File.WriteAllTextAsync(source, Mixture);
        await registry.PushAsync(RegistryKind.Model, source, RegistryName.Parse("mix-a", "name"), default);

        using var client = cluster.Client();
        var spec = JobSpecs.Fid(samples: 600, shardSize: 100, sampler: "heun:steps=4") with { Model = "mix-a" };
        var job = await cluster.WaitAsync((await client.SubmitAsync(spec, "registry-job", default)).Id, TimeSpan.FromMinutes(3));

        Assert.Equal("succeeded", job.State);
        Assert.Equal("mix-a", job.Spec.Model);
        Assert.True(job.Summary!.Fid is > 0 and < 1, $"FID {job.Summary.Fid}");
        foreach (var silo in cluster.Silos)
        {
            using var http = cluster.Http(silo);
            using var generated = await http.PostAsJsonAsync("v1/generate", new { model = "mix-a", sampler = "euler:steps=2", samples = 2, format = "array" });
            Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
            // Each silo holds its own checked copy, with the bytes that were pushed.
            var cached = Path.Combine(cluster.Root, "model-cache", silo.NodeId, "models", "mix-a", ModelRegistry.MixtureFile);
            Assert.Equal(Mixture, await File.ReadAllTextAsync(cached));
        }

        // A reference by name: the mixture's exact moments as an .npz give the same FID, and the summary names it.
        var (mean, covariance) = Models.GaussianMixtureJson.Parse(Mixture, "m").Moments([0.5, 0.5]);
        var npz = Path.Combine(cluster.Root, "mix-ref.npz");
        new Statistics.GaussianStatistics(mean, covariance).WriteNpz(npz);
        await registry.PushAsync(RegistryKind.Reference, npz, RegistryName.Parse("mix-ref", "name"), default);
        var referenced = await cluster.WaitAsync((await client.SubmitAsync(spec with { Reference = "mix-ref" }, "registry-job-ref", default)).Id, TimeSpan.FromMinutes(3));

        Assert.Equal("succeeded", referenced.State);
        Assert.Equal("registry reference 'mix-ref'", referenced.Summary!.Reference);
        Assert.Equal("mix-ref", referenced.Summary.Spec.Reference);
        Assert.Equal(job.Summary.Fid!.Value, referenced.Summary.Fid!.Value, 10);

        await PushCorruptAsync(store, "mix-b");
        using (var http = cluster.Http())
        {
            var body = new JsonObject { ["kind"] = "fid", ["model"] = "mix-b", ["sampler"] = "euler:steps=1", ["samples"] = 10 };
            using var refused = await http.PostAsync("v1/jobs", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            var error = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("model", error.GetProperty("field").GetString());
            Assert.Contains("'mixture.json' is corrupt", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        await registry.PushAsync(RegistryKind.Model, source, RegistryName.Parse("mix-b@2", "name"), default);
        var fixedJob = await cluster.WaitAsync((await client.SubmitAsync(spec with { Model = "mix-b@2" }, "registry-job-2", default)).Id, TimeSpan.FromMinutes(3));

        Assert.Equal("succeeded", fixedJob.State);
        Assert.Equal(job.Summary.Fid, fixedJob.Summary!.Fid);
    }

    [Fact]
    public async Task Registry_SiloTrustingAPublicKey_RefusesAnUnsignedEntryWith400_RunsTheSignedOne()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var root = Path.Combine(Path.GetTempPath(), "orleansflow-keys-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var publicKey = Path.Combine(root, "registry.pub.pem");
        await File.WriteAllTextAsync(publicKey, key.ExportSubjectPublicKeyInfoPem());
        try
        {
            await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1, new ClusterSettings { Environment = new Dictionary<string, string> { ["OrleansFlow__RegistryKeys"] = publicKey } });
            var registry = new ModelRegistry(new LocalDirectoryBlobStore(cluster.StorePath));
            var source = Path.Combine(cluster.Root, "mixture.json");
            await File.WriteAllTextAsync(source, Mixture);
            await registry.PushAsync(RegistryKind.Model, source, RegistryName.Parse("mix-unsigned", "name"), default);
            await registry.PushAsync(RegistryKind.Model, source, RegistryName.Parse("mix-signed", "name"), default, key);
            using var http = cluster.Http();

            using var refused = await http.PostAsJsonAsync("v1/generate", new { model = "mix-unsigned", sampler = "euler:steps=2", samples = 2, format = "array" });
            using var served = await http.PostAsJsonAsync("v1/generate", new { model = "mix-signed", sampler = "euler:steps=2", samples = 2, format = "array" });

            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var error = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("model", error.GetProperty("field").GetString());
            Assert.StartsWith("model: model 'mix-unsigned' is not signed by a key this silo trusts", error.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(cluster.Root, "model-cache", cluster.Silos[0].NodeId, "models", "mix-unsigned")));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> AssertBadRequestAsync(HttpResponseMessage response, string field, string value)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field}={value}: {(int)response.StatusCode} {text}");
        var error = JsonDocument.Parse(text).RootElement;
        Assert.Equal(field, error.GetProperty("field").GetString());
        return text;
    }

    /// <summary>An entry whose stored mixture.json differs from the bytes its manifest hashed, as a damaged blob would.</summary>
    private static async Task PushCorruptAsync(IBlobStore store, string name)
    {
        var manifest = new RegistryManifest
        {
            Kind = RegistryKind.Model,
            Name = name,
            PushedAt = DateTimeOffset.UnixEpoch,
            Upload = "u1",
            Files = [new RegistryFile(ModelRegistry.MixtureFile, Mixture.Length, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Mixture))))],
        };
        var damaged = Encoding.UTF8.GetBytes(Mixture.Replace("0.2", "0.7", StringComparison.Ordinal));
        await store.TryCreateAsync(ModelRegistry.FileName(manifest, manifest.Files[0]), (s, ct) => s.WriteAsync(damaged, ct).AsTask(), default);
        await store.TryCreateAsync(ModelRegistry.ManifestName(RegistryKind.Model, RegistryName.Parse(name, "name")), (s, ct) => s.WriteAsync(manifest.ToJson(), ct).AsTask(), default);
    }
}
