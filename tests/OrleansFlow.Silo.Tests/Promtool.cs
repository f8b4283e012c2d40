using System.Diagnostics;

namespace OrleansFlow.Silo.Tests;

/// <summary>Prometheus' own linter (Debian package <c>prometheus</c>, installed by run-tests).</summary>
internal static class Promtool
{
    /// <summary><c>promtool check metrics</c> on the text: its exit code and what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string text)
    {
        var path = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("promtool not found: install Debian's prometheus package (./run-tests does)");
        var start = new ProcessStartInfo(path, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
