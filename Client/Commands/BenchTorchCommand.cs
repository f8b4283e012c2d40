using System.CommandLine;
using OrleansFlow.Client.Benchmarks;
using OrleansFlow.Torch;

namespace OrleansFlow.Client.Commands;

/// <summary><c>orleansflow bench-torch</c>: the libtorch backend's figures (see <see cref="TorchBenchmark"/>).</summary>
internal static class BenchTorchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Option<string>("--model") { Description = "Model package directory", DefaultValueFactory = _ => Path.Combine("models", "tiny-sit") };
        var samples = new Option<int>("--samples") { Description = "Samples per throughput measurement", DefaultValueFactory = _ => 512 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per model call", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads, both sides", DefaultValueFactory = _ => 1 };
        var errorSamples = new Option<int>("--error-samples") { Description = "Samples for the matched-error table", DefaultValueFactory = _ => 64 };
        var python = new Option<string>("--python") { Description = "Python with torch (Debian python3-torch)", DefaultValueFactory = _ => "/usr/bin/python3" };
        var script = new Option<string>("--script") { Description = "The PyTorch baseline", DefaultValueFactory = _ => Path.Combine("tools", "torch_bench.py") };
        var command = new Command("bench-torch", "libtorch backend: cold vs warm latency, C# vs PyTorch samples/s, FlowTurbo vs Heun at matched error");
        foreach (var option in new Option[] { model, samples, batch, threads, errorSamples, python, script })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, ct) =>
        {
            var options = new TorchBenchmarkOptions(
                result.GetValue(model)!, result.GetValue(samples), result.GetValue(batch), result.GetValue(threads),
                result.GetValue(errorSamples), result.GetValue(python)!, result.GetValue(script)!);
            if (options.Samples < 1 || options.BatchSize < 1 || options.Threads < 1 || options.ErrorSamples < 1)
            {
                await error.WriteLineAsync("orleansflow: --samples, --batch-size, --threads and --error-samples must be >= 1");
                return ExitCodes.BadInput;
            }

            try
            {
                await new TorchBenchmark(options, output).RunAsync(ct);
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is SpecException or TorchException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                await error.WriteLineAsync($"orleansflow: bench-torch: {e.Message}");
                return e is SpecException ? ExitCodes.BadInput : ExitCodes.Failure;
            }
        });
        return command;
    }
}
