using System.Diagnostics;
using System.Text.Json;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>
/// Runs a peer's Python script for a benchmark (scipy's Fréchet distance, a plain PyTorch loop) and
/// reads its result: the JSON object on the last line of its standard output.
/// </summary>
internal static class PythonPeer
{
    public static async Task<JsonDocument> RunAsync(string python, string script, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {python}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed: {(await stderr).Trim()}");
        }

        return JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]);
    }
}
