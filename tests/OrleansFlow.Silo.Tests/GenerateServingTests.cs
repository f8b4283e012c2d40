using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// <c>/v1/generate</c> on a real silo process: cancellation, the per-silo cap and the dedicated executor
/// under abandoned expensive requests; dynamic batching of concurrent requests on a real libtorch model
/// with every sample bit-identical to its request run alone.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class GenerateServingTests(PostgresFixture postgres)
{
    /// <summary>Debian's reference BLAS (libblas3): its GEMM rounds a row the same whatever the batch layout.</summary>
    private const string ReferenceBlas = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";

    [Fact]
    public async Task Generate_TwelveExpensiveRequestsAbandonedAfterOneSecond_HealthzUnderOneSecondAndCpuIdleWithinTenSeconds()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1, new ClusterSettings
        {
            Environment = new Dictionary<string, string>
            {
                ["OrleansFlow__MaxConcurrentGenerates"] = "8",
                // Over the default limits on purpose: what is measured is the cap and the cancellation of admitted work.
                ["OrleansFlow__Limits__MaxSteps"] = "10000",
                ["OrleansFlow__Limits__MaxGenerateCost"] = "10000000",
            },
        });
        var silo = cluster.Silos[0];
        using var http = cluster.Http();
        // Load the model first, so the expensive requests all arrive at a warm sampler.
        using (var warm = await http.PostAsJsonAsync("v1/generate", new { model = "gmm-demo", sampler = "euler:steps=1", samples = 1 }))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        using var stopHealth = new CancellationTokenSource();
        var health = PollHealthAsync(cluster, silo, stopHealth.Token);
        var expensive = new { model = "gmm-demo", sampler = "heun:steps=10000", samples = 256, format = "array" };
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                using var response = await http.PostAsJsonAsync("v1/generate", expensive, giveUp.Token);
                return (Status: (int)response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta);
            }
            catch (OperationCanceledException)
            {
                return (Status: 0, RetryAfter: (TimeSpan?)null);
            }
        }));

        var idleAfter = await WaitCpuIdleAsync(silo.ProcessId, TimeSpan.FromSeconds(10));
        await stopHealth.CancelAsync();
        var latencies = await health;

        // Eight admitted (abandoned by their clients), four refused at once with Retry-After.
        Assert.Equal(8, outcomes.Count(o => o.Status == 0));
        Assert.Equal(4, outcomes.Count(o => o.Status == 429));
        Assert.All(outcomes.Where(o => o.Status == 429), o => Assert.Equal(TimeSpan.FromSeconds(1), o.RetryAfter));
        Assert.NotEmpty(latencies);
        Assert.True(latencies.Max() < TimeSpan.FromSeconds(1), $"/healthz took up to {latencies.Max().TotalMilliseconds:F0} ms");
        Assert.True(idleAfter is not null, $"the silo's CPU was not back near idle 10 s after its clients gave up\n{cluster.Logs()}");
        // And it serves again.
        using var after = await http.PostAsJsonAsync("v1/generate", new { model = "gmm-demo", sampler = "euler:steps=1", samples = 1 });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Generate_ConcurrentDigitsRequests_ShareModelRunsAndEverySampleBitIdenticalToItsRequestAlone()
    {
        Assert.True(File.Exists(ReferenceBlas), $"{ReferenceBlas} is missing: apt-get install libblas3");
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1, new ClusterSettings
        {
            Environment = new Dictionary<string, string>
            {
                ["LD_PRELOAD"] = ReferenceBlas,
                // With reference BLAS, digits-rf's rows are layout-independent in the frozen + optimize_for_inference
                // form but not as loaded (its Linear layers' GEMM), so sharing needs that form on every batch size.
                ["ORLEANSFLOW_COMPILATION"] = "frozen+optimized",
                ["OrleansFlow__GenerateBatchWaitMilliseconds"] = "50",
                ["OrleansFlow__MaxConcurrentGenerates"] = "64",
            },
        });
        await PushDigitsAsync(cluster);
        using var http = cluster.Http();
        // Two batchers (guidance 1 and 2.5), requests of different sizes, seeds, fixed and random classes.
        var requests = new (int Samples, int? Class, double Guidance)[] { (16, null, 1), (5, 3, 1), (1, null, 1), (9, 7, 1), (16, null, 2.5), (3, 0, 2.5), (8, null, 2.5), (12, 2, 2.5) }
            .Select((r, i) => new { model = "digits-rf", sampler = "heun:steps=4", samples = r.Samples, seed = 100 + i, @class = r.Class, guidance = r.Guidance, format = "array" })
            .ToList();

        var alone = new List<JsonElement>();
        foreach (var request in requests)
        {
            alone.Add(await GenerateAsync(http, request));
        }

        for (var round = 0; round < 3; round++)
        {
            var together = await Task.WhenAll(requests.Select(r => GenerateAsync(http, r)));
            for (var i = 0; i < requests.Count; i++)
            {
                Assert.Equal(alone[i].GetProperty("labels").GetRawText(), together[i].GetProperty("labels").GetRawText());
                Assert.Equal(Floats(alone[i]), Floats(together[i]));
            }
        }

        // Runs were shared: more requests than runs.
        var metrics = await cluster.ScrapeAsync(cluster.Silos[0]);
        var (runs, batched) = (Series(metrics, "orleansflow_generate_batch_requests_count"), Series(metrics, "orleansflow_generate_batch_requests_sum"));
        Assert.True(batched > runs, $"{batched} requests in {runs} runs: nothing was shared\n{metrics}");
        Assert.Equal(requests.Count * 4, batched);
    }

    private static async Task<JsonElement> GenerateAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("v1/generate", request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static float[] Floats(JsonElement response) =>
        [.. response.GetProperty("arrays").EnumerateArray().SelectMany(sample => sample.EnumerateArray().Select(v => v.GetSingle()))];

    /// <summary>The sum of a family's series for model digits-rf on a /metrics page.</summary>
    private static double Series(string metrics, string name) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains("model=\"digits-rf\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private static async Task<List<TimeSpan>> PollHealthAsync(TestCluster cluster, SiloProcess silo, CancellationToken stop)
    {
        using var http = cluster.Http(silo, token: null);
        http.Timeout = TimeSpan.FromSeconds(5);
        var latencies = new List<TimeSpan>();
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            using (var response = await http.GetAsync("healthz", CancellationToken.None))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            latencies.Add(clock.Elapsed);
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return latencies;
    }

    /// <summary>
    /// The time until the process used under 0.2 cores over a whole second (near idle: an idle silo's
    /// membership probes and timers), or null if that did not happen within <paramref name="limit"/>.
    /// </summary>
    private static async Task<TimeSpan?> WaitCpuIdleAsync(int pid, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var (cpuBefore, wallBefore) = (CpuSeconds(pid), clock.Elapsed);
            await Task.Delay(1000);
            var cores = (CpuSeconds(pid) - cpuBefore) / (clock.Elapsed - wallBefore).TotalSeconds;
            if (cores < 0.2)
            {
                return clock.Elapsed;
            }
        }

        return null;
    }

    /// <summary>User + system CPU time of a process (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>digits-rf in the cluster's registry, made self-contained (its features file copied in).</summary>
    private static async Task PushDigitsAsync(TestCluster cluster)
    {
        var models = Path.Combine(RepositoryRoot(), "models");
        var package = Path.Combine(cluster.Root, "digits-rf");
        Directory.CreateDirectory(package);
        foreach (var file in Directory.GetFiles(Path.Combine(models, "digits-rf")))
        {
            File.Copy(file, Path.Combine(package, Path.GetFileName(file)));
        }

        File.Copy(Path.Combine(models, "digits-fid", "features.pt"), Path.Combine(package, "features.pt"));
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(package, "model.json")))!;
        manifest["files"]!["features"] = "features.pt";
        await File.WriteAllTextAsync(Path.Combine(package, "model.json"), manifest.ToJsonString());
        await new ModelRegistry(new LocalDirectoryBlobStore(cluster.StorePath)).PushAsync(RegistryKind.Model, package, RegistryName.Parse("digits-rf", "name"), default);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrleansFlow.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
