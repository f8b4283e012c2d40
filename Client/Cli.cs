using System.CommandLine;
using OrleansFlow.Client.Commands;

namespace OrleansFlow.Client;

/// <summary>The <c>orleansflow</c> command line: fid, reflow, generate and bench.</summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("OrleansFlow: sharded, resumable sampling of flow-matching models (FID evaluation, reflow data, generation).")
        {
            JobCommands.Fid(output, error),
            JobCommands.Reflow(output, error),
            JobCommands.Generate(output, error),
            BenchCommand.Create(output, error),
            BenchTorchCommand.Create(output, error),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line naming the option; System.CommandLine's own output would add the whole help text.
            await error.WriteLineAsync($"orleansflow: {parsed.Errors[0].Message} (see --help)");
            return ExitCodes.BadInput;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
