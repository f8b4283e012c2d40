using System.Diagnostics;
using System.Text.Json;

namespace OrleansFlow.Testing;

/// <summary>
/// Debian's <c>/usr/bin/python3</c> with <c>python3-numpy</c> (and SciPy): an implementation independent
/// of ours that reads what we write. By full path, because the first python3 on PATH may be another
/// installation without numpy.
/// </summary>
public static class DebianPython
{
    public const string Interpreter = "/usr/bin/python3";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<bool> NumpyAvailable = new(() =>
    {
        try
        {
            return File.Exists(Interpreter) && RunAsync("import numpy; print('ok')").GetAwaiter().GetResult().Trim() == "ok";
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    });

    public static bool HasNumpy => NumpyAvailable.Value;

    /// <summary>Runs <paramref name="script"/> with <c>sys.argv[1:]</c> = <paramref name="arguments"/>; returns stdout, throws with stderr.</summary>
    public static Task<string> RunAsync(string script, params string[] arguments) => RunAsync(script, arguments, input: null, DefaultTimeout);

    /// <summary>Runs <paramref name="script"/> with <paramref name="input"/> on its stdin.</summary>
    public static Task<string> RunWithInputAsync(string script, byte[] input) => RunAsync(script, [], input, DefaultTimeout);

    /// <summary>Runs the script file <paramref name="path"/> as <c>__main__</c>, for longer than the default minute; returns its last stdout line as JSON.</summary>
    public static async Task<JsonElement> RunFileJsonAsync(string path, TimeSpan timeout, params string[] arguments)
    {
        const string RunAsMain = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')";
        string output = await RunAsync(RunAsMain, [path, .. arguments], input: null, timeout);
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    /// <summary>Runs a script that prints one JSON value.</summary>
    public static async Task<JsonElement> RunJsonAsync(string script, params string[] arguments) =>
        JsonDocument.Parse(await RunAsync(script, arguments)).RootElement.Clone();

    private static async Task<string> RunAsync(string script, IEnumerable<string> arguments, byte[]? input, TimeSpan timeLimit)
    {
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardInput = input is not null,
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
        using var timeout = new CancellationTokenSource(timeLimit);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        if (input is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(input, timeout.Token);
            process.StandardInput.Close();
        }

        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Interpreter} exited with {process.ExitCode}: {await errors}");
        }

        return await output;
    }
}

/// <summary>A fact that reads outputs with numpy; skipped, saying so, when /usr/bin/python3 has no numpy.</summary>
public sealed class NumpyFactAttribute : FactAttribute
{
    public NumpyFactAttribute()
    {
        if (!DebianPython.HasNumpy)
        {
            Skip = NumpySkip.Reason;
        }
    }
}

/// <summary>The theory counterpart of <see cref="NumpyFactAttribute"/>.</summary>
public sealed class NumpyTheoryAttribute : TheoryAttribute
{
    public NumpyTheoryAttribute()
    {
        if (!DebianPython.HasNumpy)
        {
            Skip = NumpySkip.Reason;
        }
    }
}

internal static class NumpySkip
{
    public const string Reason = $"{DebianPython.Interpreter} with numpy is not installed (apt-get install python3-numpy); numpy cross-check not run.";
}
