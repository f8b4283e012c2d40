using System.Diagnostics;

namespace OrleansFlow.Grains.Tests.Statistics;

/// <summary>Runs Debian's /usr/bin/python3, the interpreter tools/fid_golden.py uses, for numpy cross-checks.</summary>
internal static class SystemPython
{
    public const string Interpreter = "/usr/bin/python3";

    private static readonly Lazy<bool> NumpyAvailable = new(() =>
        File.Exists(Interpreter) && TryRun("import numpy", out _, out _));

    public static bool HasNumpy => NumpyAvailable.Value;

    /// <summary>Runs <paramref name="script"/> with the arguments; returns stdout or throws with stderr.</summary>
    public static string Run(string script, params string[] arguments)
    {
        if (!TryRun(script, out string output, out string error, arguments))
        {
            throw new InvalidOperationException($"{Interpreter} failed: {error}");
        }

        return output;
    }

    private static bool TryRun(string script, out string output, out string error, params string[] arguments)
    {
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Interpreter}.");
        Task<string> pendingError = process.StandardError.ReadToEndAsync();
        output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        error = pendingError.Result;
        return process.ExitCode == 0;
    }
}

/// <summary>A fact that needs /usr/bin/python3 with numpy; skipped, saying so, when it is absent.</summary>
internal sealed class NumpyFactAttribute : FactAttribute
{
    public NumpyFactAttribute()
    {
        if (!SystemPython.HasNumpy)
        {
            Skip = $"{SystemPython.Interpreter} with numpy is not installed (apt-get install python3-numpy); numpy cross-check not run.";
        }
    }
}

/// <summary>The theory counterpart of <see cref="NumpyFactAttribute"/>.</summary>
internal sealed class NumpyTheoryAttribute : TheoryAttribute
{
    public NumpyTheoryAttribute()
    {
        if (!SystemPython.HasNumpy)
        {
            Skip = $"{SystemPython.Interpreter} with numpy is not installed (apt-get install python3-numpy); numpy cross-check not run.";
        }
    }
}
