using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// One silo as a real operating-system process (<c>dotnet OrleansFlow.Silo.dll</c>), so that a kill is
/// a real SIGKILL and a pause a real SIGSTOP, not a cancelled task.
/// </summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int SigStop = 19;
    private const int SigCont = 18;

    private readonly Process _process;
    private readonly StreamWriter _log;

    private SiloProcess(string nodeId, Uri address, int siloPort, Process process, StreamWriter log, string logPath)
    {
        NodeId = nodeId;
        SiloPort = siloPort;
        Address = address;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string NodeId { get; }

    public Uri Address { get; }

    /// <summary>Orleans' silo-to-silo port: part of the silo's address in membership and job views.</summary>
    public int SiloPort { get; }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    public static SiloProcess Start(string nodeId, int port, int siloPort, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        var address = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet", [SiloAssembly()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/');
        start.Environment["OrleansFlow__NodeId"] = nodeId;
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var logPath = Path.Combine(logDirectory, $"{nodeId}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the silo");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiloProcess(nodeId, address, siloPort, process, log, logPath);
    }

    /// <summary>SIGKILL: no shutdown path runs; Orleans' membership must notice.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the graceful path (hand back shards in flight, leave the membership table).</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Terminate();
        await WaitForExitAsync(timeout);
    }

    /// <summary>Sends SIGTERM and returns at once, so a test can watch the drain.</summary>
    public void Terminate() => Signal(SigTerm);

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
    }

    /// <summary>SIGSTOP: the process freezes mid-work, as a long GC pause or a partition would.</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal(SigCont);

    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Resume();
            await KillAsync();
        }

        _process.Dispose();
        await _log.DisposeAsync();
    }

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            // The time the test saw the line: a failure's log then shows what happened when (the silo's console has no clock).
            log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
    }

    /// <summary>The silo built beside this test run: Silo/bin/&lt;configuration&gt;/net10.0.</summary>
    internal static string SiloAssembly()
    {
        var here = AppContext.BaseDirectory;
        var configuration = new DirectoryInfo(here).Parent!.Name;
        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OrleansFlow.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("OrleansFlow.sln not found above " + here), "Silo", "bin", configuration, "net10.0", "OrleansFlow.Silo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the silo first", path);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
