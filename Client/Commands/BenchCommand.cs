using System.CommandLine;

namespace OrleansFlow.Client.Commands;

/// <summary><c>orleansflow bench</c>: figures side by side from one run (see Benchmarks/).</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("bench", "Measure the embedded runner's overhead and FlowTurbo vs Heun vs Euler at matched error");
        command.SetAction((_, _) =>
        {
            error.WriteLine("orleansflow: bench is not built yet");
            return Task.FromResult(ExitCodes.Failure);
        });
        return command;
    }
}
