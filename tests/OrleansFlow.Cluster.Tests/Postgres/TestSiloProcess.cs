using System.Diagnostics;
using OrleansFlow.Testing;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>
/// One bare Orleans silo (tests/OrleansFlow.TestSilo) as an operating-system process, so a kill is a
/// real SIGKILL: no shutdown code runs and the silo cannot write its own row.
/// </summary>
internal sealed class TestSiloProcess : IAsyncDisposable
{
    private readonly Process _process;

    private TestSiloProcess(Process process, int siloPort, string logPath)
    {
        _process = process;
        SiloPort = siloPort;
        LogPath = logPath;
    }

    public int SiloPort { get; }

    public string LogPath { get; }

    public static TestSiloProcess Start(string connectionString, string clusterId, string logDirectory, bool orleansDefaultMembership = false)
    {
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[Assembly(), $"--Postgres={connectionString}", $"--ClusterId={clusterId}", $"--SiloPort={siloPort}", $"--GatewayPort={gatewayPort}"])
        {
            start.ArgumentList.Add(argument);
        }

        if (orleansDefaultMembership)
        {
            start.ArgumentList.Add("--Membership=orleans-defaults");
        }

        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["DOTNET_gcServer"] = "0";
        var logPath = Path.Combine(logDirectory, $"silo-{siloPort}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the test silo");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) => log.Dispose();
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new TestSiloProcess(process, siloPort, logPath);
    }

    /// <summary>SIGKILL.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static string Assembly()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OrleansFlow.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("OrleansFlow.sln not found above " + here),
            "tests", "OrleansFlow.TestSilo", "bin", configuration, "net10.0", "OrleansFlow.TestSilo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build tests/OrleansFlow.TestSilo first", path);
    }
}
