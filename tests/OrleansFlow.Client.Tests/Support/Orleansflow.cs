using System.Diagnostics;

namespace OrleansFlow.Client.Tests.Support;

/// <summary>Runs the <c>orleansflow</c> CLI in this process, or as a real process for kill and signal tests.</summary>
internal static class Orleansflow
{
    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None);

    public static async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await Cli.RunAsync(args, output, error, cancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Starts the built CLI (<c>dotnet orleansflow.dll args</c>) with stdout and stderr redirected.</summary>
    public static Process Start(params string[] args)
    {
        var dll = typeof(Cli).Assembly.Location;
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {host} {dll}");
    }
}
