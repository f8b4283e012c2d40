using System.CommandLine;
using OrleansFlow.Client.Commands;

namespace OrleansFlow.Client;

/// <summary>The <c>orleansflow</c> command line: fid, reflow, generate and bench.</summary>
public static class Cli
{
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) =>
        RunAsync(args, output, error, CancellationToken.None);

    /// <summary>
    /// Runs the command; cancelling <paramref name="cancellationToken"/> interrupts a job, which keeps its
    /// finished shards and returns <see cref="ExitCodes.Interrupted"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var root = new RootCommand("OrleansFlow: sharded, resumable sampling of flow-matching models (FID evaluation, reflow data, generation).")
        {
            JobCommands.Fid(output, error),
            JobCommands.Reflow(output, error),
            JobCommands.Generate(output, error),
            BenchCommand.Create(output, error),
            BenchTorchCommand.Create(output, error),
            BenchFrechetCommand.Create(output, error),
            FidTableCommand.Create(output, error),
            ModelsCommand.Create(output, error),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line naming the option; System.CommandLine's own output would add the whole help text.
            await error.WriteLineAsync($"orleansflow: {OneLine(parsed.Errors[0].Message)} (see --help)");
            return ExitCodes.BadInput;
        }

        // Signals are the caller's (Program.cs): System.CommandLine's own handler would return 130/143
        // at once, abandoning the job without its "interrupted" message.
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return await parsed.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>Joins a multi-line message (e.g. "Did you mean one of the following?" and a list) into one line.</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
