using System.CommandLine;
using OrleansFlow.Client.Benchmarks;
using OrleansFlow.Jobs;

namespace OrleansFlow.Client.Commands;

/// <summary><c>orleansflow bench</c>: figures side by side from one run (see Benchmarks/).</summary>
internal static class BenchCommand
{
    private const int DefaultSamples = 20_000;
    private const int QuickSamples = 1_000;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var samples = new Option<int?>("--samples") { Description = $"Samples of the FID job whose throughput part (a) compares (default {DefaultSamples:N0}, {QuickSamples:N0} with --quick)" };
        var quick = new Option<bool>("--quick") { Description = "Small sizes that finish in seconds (a smoke test, not figures to quote)" };
        var json = new Option<string?>("--json") { Description = "Also write every figure to this JSON file" };
        var command = new Command("bench", "Measure the embedded runner's overhead and FlowTurbo vs Heun vs Euler at matched error")
        {
            samples,
            quick,
            json,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var isQuick = result.GetValue(quick);
            var overheadSamples = result.GetValue(samples) ?? (isQuick ? QuickSamples : DefaultSamples);
            var jsonPath = result.GetValue(json);
            if (overheadSamples is < 1 or > JobSpec.MaxSamples)
            {
                await error.WriteLineAsync($"orleansflow: --samples {overheadSamples} is out of range: allowed 1..{JobSpec.MaxSamples}");
                return ExitCodes.BadInput;
            }

            // Checked now rather than after minutes of measuring.
            if (jsonPath is not null && Path.GetDirectoryName(Path.GetFullPath(jsonPath)) is { } folder && !Directory.Exists(folder))
            {
                await error.WriteLineAsync($"orleansflow: --json '{jsonPath}': folder '{folder}' does not exist");
                return ExitCodes.BadInput;
            }

            var settings = isQuick ? BenchSettings.Quick(overheadSamples) : BenchSettings.Full(overheadSamples);
            try
            {
                var report = await Bench.RunAsync(settings, isQuick, output, new StatusLine(error), cancellationToken);
                if (jsonPath is not null)
                {
                    await File.WriteAllBytesAsync(jsonPath, JobJson.Serialize(report), cancellationToken);
                }

                return ExitCodes.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync("orleansflow: bench interrupted");
                return ExitCodes.Interrupted;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"orleansflow: bench failed: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
