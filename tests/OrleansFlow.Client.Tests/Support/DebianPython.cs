using System.Diagnostics;
using System.Text.Json;

namespace OrleansFlow.Client.Tests.Support;

/// <summary>
/// Debian's <c>/usr/bin/python3</c> with <c>python3-numpy</c>: an independent reader of what the CLI
/// wrote. By full path, because the first python3 on PATH may be another installation without numpy.
/// </summary>
internal static class DebianPython
{
    public const string Interpreter = "/usr/bin/python3";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<bool> NumpyAvailable = new(() =>
    {
        try
        {
            return File.Exists(Interpreter) && RunAsync("import numpy; print('true')").GetAwaiter().GetResult().GetBoolean();
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    });

    public static bool HasNumpy => NumpyAvailable.Value;

    /// <summary>Runs <paramref name="script"/> (which prints one JSON value) with <c>sys.argv[1:]</c> = <paramref name="arguments"/>.</summary>
    public static async Task<JsonElement> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Interpreter}");
        using var timeout = new CancellationTokenSource(Timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Interpreter} exited with {process.ExitCode}: {await errors}");
        }

        return JsonDocument.Parse(await output).RootElement.Clone();
    }
}

/// <summary>A fact that reads outputs with numpy; skipped, saying so, when /usr/bin/python3 has no numpy.</summary>
internal sealed class NumpyFactAttribute : FactAttribute
{
    public NumpyFactAttribute()
    {
        if (!DebianPython.HasNumpy)
        {
            Skip = $"{DebianPython.Interpreter} with numpy is not installed (apt-get install python3-numpy); numpy cross-check not run.";
        }
    }
}
