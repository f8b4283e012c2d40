using System.Diagnostics;

namespace OrleansFlow.Testing;

/// <summary>
/// A real, throw-away PostgreSQL server: <c>initdb</c> into a temporary directory, <c>pg_ctl start</c> on
/// a free loopback port with its unix socket in that directory, stopped and deleted on dispose. Runs as
/// the <c>postgres</c> user through <c>runuser</c> when the tests run as root (PostgreSQL refuses root).
/// Free of xunit so the silo tests and benchmarks can link it.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Where the binaries are looked for first; <c>ORLEANSFLOW_PG_BIN</c> overrides.</summary>
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    private const string ServiceUser = "postgres";

    private readonly string _bin;
    private readonly string _root;
    private int _schemaCounter;

    private PostgresServer(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        Port = port;
    }

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(_root, "data");

    public string LogFile => Path.Combine(_root, "postgres.log");

    /// <summary>TCP on 127.0.0.1 as the superuser <c>postgres</c>, trust authentication.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=10";

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory();
        var root = Path.Combine(Path.GetTempPath(), $"orleansflow-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(root);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", [$"{ServiceUser}:{ServiceUser}", root], asServiceUser: false, cancellationToken);
        }

        var server = new PostgresServer(bin, root, 0);
        try
        {
            await server.RunToolAsync("initdb", ["-D", server.DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"], cancellationToken);
            for (var attempt = 1; ; attempt++)
            {
                server.Port = FreePorts.Next();
                try
                {
                    await server.RunToolAsync("pg_ctl", ["start", "-D", server.DataDirectory, "-l", server.LogFile, "-w", "-t", "60", "-o", server.ServerOptions()], cancellationToken);
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    // The port was taken between probing and binding: try another.
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A schema name no other test of this server has used.</summary>
    public string NewSchemaName(string prefix = "t") => $"{prefix}_{Interlocked.Increment(ref _schemaCounter)}";

    /// <summary><c>pg_ctl restart -m MODE</c>: "immediate" kills every backend without a shutdown checkpoint (crash recovery on start).</summary>
    public Task RestartAsync(string mode = "immediate", CancellationToken cancellationToken = default) =>
        RunToolAsync("pg_ctl", ["restart", "-D", DataDirectory, "-l", LogFile, "-m", mode, "-w", "-t", "60", "-o", ServerOptions()], cancellationToken);

    public Task StopAsync(string mode = "immediate", CancellationToken cancellationToken = default) =>
        RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", mode, "-w", "-t", "60"], cancellationToken);

    public Task StartAgainAsync(CancellationToken cancellationToken = default) =>
        RunToolAsync("pg_ctl", ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", ServerOptions()], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await StopAsync("immediate");
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the directory goes anyway.
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("ORLEANSFLOW_PG_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        candidates.Add(DefaultBinDirectory);
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderDescending(StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException(
                $"PostgreSQL is not installed (no pg_ctl in {string.Join(", ", candidates)}): run ./run-tests, which installs it, or 'apt-get install postgresql-15'");
    }

    // fsync off: these servers die with their tests, and a process crash (restart -m immediate) loses
    // nothing without fsync; only an OS crash would. Commits stay synchronous.
    private string ServerOptions() =>
        $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=128MB";

    private Task RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_bin, tool), arguments, asServiceUser: Environment.IsPrivilegedProcess, cancellationToken);

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, bool asServiceUser, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            FileName = asServiceUser ? "runuser" : fileName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asServiceUser)
        {
            foreach (var argument in (string[])["-u", ServiceUser, "--", fileName])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        // Drain both pipes; pg_ctl points the server's own output at its log file, so they reach EOF.
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            var output = await stdout + await stderr;
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Trim()}");
        }
    }
}
