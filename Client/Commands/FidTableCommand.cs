using System.CommandLine;
using OrleansFlow.Client.Evaluation;
using OrleansFlow.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Torch;

namespace OrleansFlow.Client.Commands;

/// <summary><c>orleansflow fid-table</c>: the README's main job (see <see cref="FidTable"/>).</summary>
internal static class FidTableCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var data = new Option<string>("--data") { Description = "Data set: fashion (Fashion-MNIST 28×28, the main job: docs/fashion.md) or digits (scikit-learn's 8×8 digits, a one-minute check: docs/digits.md)", DefaultValueFactory = _ => FidTableDataSet.Fashion.Name };
        var models = new Option<string>("--models") { Description = "Directory with the data set's packages and its *-fid/ directory (when no registry is used)", DefaultValueFactory = _ => "models" };
        var registry = new Option<string?>("--registry")
        {
            Description = "Model registry holding the data set's models by name (tools/push_fashion_models.sh, tools/push_digits_models.sh); default: OrleansFlow__Models, else OrleansFlow__Store, else ./store if it exists; 'none': paths under --models",
            DefaultValueFactory = _ => LocalModelLoader.RegistryFromEnvironment(),
        };
        var samples = new Option<int>("--samples") { Description = "Samples per row", DefaultValueFactory = _ => 2000 };
        var seed = new Option<long>("--seed") { Description = "Job seed of every row (the same noise and labels in each)", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per model call", DefaultValueFactory = _ => 250 };
        var workers = new Option<int>("--workers") { Description = "Shards run at once", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (per call)", DefaultValueFactory = _ => 1 };
        var guidance = new Option<double>("--guidance") { Description = "Classifier-free guidance scale of every row (1 = conditional only)", DefaultValueFactory = _ => 1 };
        var repeats = new Option<int>("--repeats") { Description = "Runs per row, one per seed (seed, seed+1, ...), interleaved: FID is their mean ± sd, the time the fastest", DefaultValueFactory = _ => 1 };
        var trajectory = new Option<int>("--trajectory-samples") { Description = "Samples per row compared with heun:steps=64 of the same noises (trajectory error)", DefaultValueFactory = _ => 1000 };
        var rows = new Option<string?>("--rows") { Description = "Only the rows whose name contains one of these comma-separated words (e.g. heun,turbo)" };
        var outDirectory = new Option<string>("--out") { Description = "Output directory: one FID job per row, and table.json", DefaultValueFactory = _ => Path.Combine("out", "fid-table") };
        var metrics = new Option<string>("--metrics") { Description = "Metrics of every row's job (fid,sfid,is,prc,kid); fid alone leaves out the other columns", DefaultValueFactory = _ => FidTableOptions.FullSuite };
        var quiet = new Option<bool>("--quiet") { Description = "No progress bar" };
        var command = new Command("fid-table", "FID ± seed spread, sFID, IS, precision/recall and KID, trajectory error, NFE and ms/sample of Euler, Heun and FlowTurbo rows (and, on digits, the 1-/2-rectified flows and the distilled one-step model), in one run; writes table.json, pareto.png and a sample grid per row");
        foreach (var option in new Option[] { data, models, registry, samples, seed, batch, workers, threads, guidance, repeats, trajectory, rows, outDirectory, metrics, quiet })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, ct) =>
        {
            try
            {
                var dataSet = FidTableDataSet.Parse(result.GetValue(data)!);
                var selected = Select(dataSet, result.GetValue(rows));
                var options = new FidTableOptions(
                    dataSet,
                    result.GetValue(models)!, Positive("samples", result.GetValue(samples)), result.GetValue(seed), Positive("batch-size", result.GetValue(batch)),
                    Positive("workers", result.GetValue(workers)), Positive("threads", result.GetValue(threads)), result.GetValue(guidance),
                    Positive("repeats", result.GetValue(repeats)), Positive("trajectory-samples", result.GetValue(trajectory)), result.GetValue(outDirectory)!, selected)
                {
                    Metrics = result.GetValue(metrics)!,
                    Registry = result.GetValue(registry) is { } store && store != "none" ? store : null,
                };
                using var progress = result.GetValue(quiet) ? null : new ConsoleProgressBar(error);
                var report = await new FidTable(options, output).RunAsync(progress, ct);
                progress?.Complete();
                FidTable.Print(report, output);
                var json = Path.Combine(options.Out, "table.json");
                await File.WriteAllBytesAsync(json, JobJson.Serialize(report), ct);
                var pareto = Path.Combine(options.Out, "pareto.png");
                ParetoPlot.Save(report, pareto);
                await output.WriteLineAsync($"{json}");
                await output.WriteLineAsync(ParetoPlot.Describe(report, pareto));
                await output.WriteLineAsync($"sample grids: {Path.Combine(options.Out, "<row>", "samples.png")}");
                return ExitCodes.Success;
            }
            catch (SpecException e)
            {
                await error.WriteLineAsync($"orleansflow: --{Cli.OneLine(e.Message)}");
                return ExitCodes.BadInput;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await error.WriteLineAsync("orleansflow: interrupted");
                return ExitCodes.Interrupted;
            }
            catch (Exception e) when (e is JobFailedException or TorchException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"orleansflow: fid-table failed: {Cli.OneLine(e.Message)}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static List<FidTableRow> Select(FidTableDataSet data, string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return [.. data.Rows];
        }

        var words = filter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rows = data.Rows.Where(r => words.Any(w => r.Name.Contains(w, StringComparison.OrdinalIgnoreCase))).ToList();
        return rows.Count > 0 ? rows : throw new SpecException("rows", $"'{filter}' matches no row: rows are {string.Join(", ", data.Rows.Select(r => r.Name))}");
    }

    private static int Positive(string field, int value) =>
        value >= 1 ? value : throw new SpecException(field, $"{value} is out of range: allowed >= 1");
}
