using System.Diagnostics;

namespace OrleansFlow.Grains.Tests.Formats;

/// <summary>
/// Runs a script with Debian's <c>/usr/bin/python3</c> and its <c>python3-numpy</c>, an
/// implementation independent of ours; by full path, because the first python3 on PATH may be
/// another installation without numpy.
/// </summary>
internal static class DebianPython
{
    private const string Executable = "/usr/bin/python3";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="script"/> with <paramref name="input"/> on its stdin; returns its stdout.</summary>
    public static async Task<string> RunAsync(string script, byte[] input)
    {
        var startInfo = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);

        using Process process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {Executable}.");
        using var timeout = new CancellationTokenSource(Timeout);
        Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardInput.BaseStream.WriteAsync(input, timeout.Token);
        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Executable} exited with {process.ExitCode}: {await errors}");
        }

        return await output;
    }
}
