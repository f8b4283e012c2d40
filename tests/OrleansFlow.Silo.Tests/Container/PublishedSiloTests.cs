using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OrleansFlow.Silo.Tests.Kubernetes;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Silo.Tests.Container;

/// <summary>
/// What the image copies and runs, without a container runtime: <c>dotnet publish</c> output started
/// from its own folder as the Dockerfile's ENTRYPOINT does, with only the settings the image and the
/// manifests give (the HTTP URL and the token; no PostgreSQL, so the single-silo in-memory store).
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class PublishedSiloTests(ITestOutputHelper output)
{
    private const string Token = "published-silo-test";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Publish_SiloStartedFromItsOwnFolder_AnswersHealthz()
    {
        using var folder = new TemporaryDirectory();
        var app = folder.Combine("app");
        // --no-build: publish what this test run built (a rebuild here could race the other silo tests).
        var publish = await RunAsync("dotnet", ["publish", Path.Combine(Manifests.RepositoryRoot(), "Silo", "Silo.csproj"), "-c", Configuration(), "--no-build", "-o", app, "-nologo", "-v", "q"], TimeSpan.FromMinutes(5));
        Assert.True(publish.ExitCode == 0, "dotnet publish failed:\n" + publish.Output);
        Assert.True(File.Exists(Path.Combine(app, "OrleansFlow.Silo.dll")));
        // The image's silo does not tier (Silo/Silo.csproj): tiering's background re-compilation took the shards' core.
        using (var runtimeConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "OrleansFlow.Silo.runtimeconfig.json"))))
        {
            Assert.False(runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.Runtime.TieredCompilation").GetBoolean());
        }

        var port = FreePorts.Next();
        // The image's ENTRYPOINT: the apphost, finding the shared runtime through DOTNET_ROOT as in the image.
        var start = new ProcessStartInfo(Path.Combine(app, "OrleansFlow.Silo"))
        {
            WorkingDirectory = app,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("OrleansFlow", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["OrleansFlow__Token"] = Token;
        start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(ResolvedDotnet())!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var silo = Process.Start(start) ?? throw new InvalidOperationException("could not start the published silo");
        silo.OutputDataReceived += (_, e) => Keep(log, e.Data);
        silo.ErrorDataReceived += (_, e) => Keep(log, e.Data);
        silo.BeginOutputReadLine();
        silo.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var waited = Stopwatch.StartNew();
            HttpResponseMessage? health = null;
            while (health is null && waited.Elapsed < StartTimeout && !silo.HasExited)
            {
                try
                {
                    health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }

            Assert.True(health is not null, $"no /healthz answer after {waited.Elapsed.TotalSeconds:F0} s (exited: {silo.HasExited}):\n{string.Join('\n', log)}");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("ok", await health.Content.ReadAsStringAsync());
            // The token from the environment is the one the API enforces.
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/v1/jobs", UriKind.Relative))).StatusCode);
            using var authorized = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/jobs", UriKind.Relative));
            authorized.Headers.Authorization = new("Bearer", Token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(authorized)).StatusCode);
            output.WriteLine($"published silo answered /healthz {waited.Elapsed.TotalSeconds:F1} s after start");
        }
        finally
        {
            if (!silo.HasExited)
            {
                silo.Kill(entireProcessTree: true);
                await silo.WaitForExitAsync();
            }
        }
    }

    private static void Keep(System.Collections.Concurrent.ConcurrentQueue<string> log, string? line)
    {
        if (line is not null)
        {
            log.Enqueue(line);
        }
    }

    /// <summary>The configuration this test assembly was built in (bin/&lt;configuration&gt;/net10.0).</summary>
    private static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var wait = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(wait.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The real path of the <c>dotnet</c> on PATH: its folder is the runtime's root.</summary>
    private static string ResolvedDotnet()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(directory => Path.Combine(directory, "dotnet")).First(File.Exists);
        return new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath;
    }
}
