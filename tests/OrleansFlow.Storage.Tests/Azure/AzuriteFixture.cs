using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Core.Pipeline;
using OrleansFlow.Storage.Azure;
using OrleansFlow.Testing;

namespace OrleansFlow.Storage.Tests.Azure;

/// <summary>
/// A real Azurite blob service (npm <c>azurite</c>, installed by run-tests under tools/azurite) on a free
/// port with a temporary workspace, shared by the tests of the "Azurite" collection and killed at the end.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string AccountName = "devstoreaccount1";

    /// <summary>The published key of Azurite's development account; not a secret.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _workspace = Path.Combine(Path.GetTempPath(), "orleansflow-azurite-" + Guid.NewGuid().ToString("N"));
    private Process? _process;

    public int Port { get; private set; }

    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>The explicit form of Azurite's development account (UseDevelopmentStorage=true assumes port 10000).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_workspace);
        var (program, prefix) = FindAzurite();
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePorts.Next();
            var start = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in prefix.Concat(["--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--location", _workspace, "--skipApiVersionCheck", "--disableTelemetry", "--silent"]))
            {
                start.ArgumentList.Add(argument);
            }

            _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            if (await WaitUntilListeningAsync(TimeSpan.FromSeconds(30)))
            {
                return;
            }

            Stop();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"Azurite ({program}) did not start listening on 127.0.0.1:{Port}");
            }
        }
    }

    public Task DisposeAsync()
    {
        Stop();
        if (Directory.Exists(_workspace))
        {
            Directory.Delete(_workspace, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>A store on a new container (created) with shared-key auth.</summary>
    public async Task<AzureBlobStore> NewContainerAsync(AzureBlobStoreOptions? options = null, string? container = null)
    {
        var store = AzureBlobStore.FromConnectionString(ConnectionString, container ?? NewContainerName(), options ?? FastOptions());
        Assert.True(await store.CreateContainerIfNotExistsAsync(default));
        return store;
    }

    public static string NewContainerName() => "t" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>Options whose retries wait milliseconds, optionally over a fault-injecting handler.</summary>
    public static AzureBlobStoreOptions FastOptions(HttpMessageHandler? handler = null, int maxRetries = 3)
    {
        var options = new AzureBlobStoreOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxRetries = maxRetries;
        if (handler is not null)
        {
            options.Transport = new HttpClientTransport(new HttpClient(handler));
        }

        return options;
    }

    private static (string Program, string[] Prefix) FindAzurite()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var main = Path.Combine(directory.FullName, "tools", "azurite", "node_modules", "azurite", "dist", "src", "blob", "main.js");
            if (File.Exists(main))
            {
                return ("node", [main]);
            }
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, "azurite-blob"))
            .FirstOrDefault(File.Exists);
        return onPath is not null
            ? (onPath, [])
            : throw new InvalidOperationException("Azurite is not installed: run ./run-tests, or `npm ci` in tools/azurite");
    }

    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && _process is { HasExited: false })
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        return false;
    }

    private void Stop()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        _process = null;
    }
}
