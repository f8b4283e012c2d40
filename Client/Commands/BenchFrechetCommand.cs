using System.CommandLine;
using OrleansFlow.Client.Benchmarks;

namespace OrleansFlow.Client.Commands;

/// <summary><c>orleansflow bench-frechet</c>: the Fréchet distance against pytorch-fid's (see <see cref="FrechetBenchmark"/>).</summary>
internal static class BenchFrechetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var dimension = new Option<int>("--dimension") { Description = "Feature dimension (Inception pool_3: 2048)", DefaultValueFactory = _ => 2048 };
        var samples = new Option<int>("--samples") { Description = "Samples behind each covariance", DefaultValueFactory = _ => 4096 };
        var managed = new Option<bool>("--managed") { Description = "Also time the managed fallback (about 100 s at 2048-d)" };
        var python = new Option<string>("--python") { Description = "Python with numpy and scipy (Debian python3-scipy)", DefaultValueFactory = _ => "/usr/bin/python3" };
        var script = new Option<string>("--script") { Description = "The pytorch-fid baseline", DefaultValueFactory = _ => Path.Combine("tools", "frechet_bench.py") };
        var command = new Command("bench-frechet", "Fréchet distance on native LAPACK (and managed) vs pytorch-fid's formula with scipy sqrtm, same statistics, one run");
        foreach (var option in new Option[] { dimension, samples, managed, python, script })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, ct) =>
        {
            var options = new FrechetBenchmarkOptions(
                result.GetValue(dimension), result.GetValue(samples), result.GetValue(managed), result.GetValue(python)!, result.GetValue(script)!);
            if (options.Dimension is < 1 or > 16384 || options.Samples < 2)
            {
                await error.WriteLineAsync("orleansflow: --dimension must be in 1..16384 and --samples >= 2");
                return ExitCodes.BadInput;
            }

            try
            {
                await new FrechetBenchmark(options, output).RunAsync(ct);
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or System.ComponentModel.Win32Exception)
            {
                await error.WriteLineAsync($"orleansflow: bench-frechet: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
