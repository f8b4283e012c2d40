using System.Globalization;
using OrleansFlow.Cluster;
using OrleansFlow.Client.Benchmarks;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using OrleansFlow.Silo.Embedded;
using OrleansFlow.Torch;

namespace OrleansFlow.Client.Evaluation;

/// <param name="Data">The data set: rows, trajectory model, evaluation network and reference.</param>
/// <param name="Models">The directory holding the packages and the data set's <c>*-fid/</c> (features, reference), used when <see cref="Registry"/> is null.</param>
/// <param name="Repeats">Runs of every row, one per seed (Seed, Seed + 1, …), interleaved; FID is their mean ± spread, the time the fastest.</param>
/// <param name="TrajectorySamples">Samples of each row compared with the converged solve (seed <paramref name="Seed"/>).</param>
internal sealed record FidTableOptions(
    FidTableDataSet Data,
    string Models, int Samples, long Seed, int BatchSize, int Workers, int Threads, double Guidance, int Repeats, int TrajectorySamples, string Out,
    IReadOnlyList<FidTableRow> Rows)
{
    /// <summary>The whole suite by default; <c>fid</c> alone gives the table without the other columns.</summary>
    public string Metrics { get; init; } = FullSuite;

    public const string FullSuite = "fid,sfid,is,prc,kid";

    /// <summary>
    /// A model registry holding the data set's packages under their names (its push script): the
    /// rows then name their models, network and reference as a cluster's jobs do; null: paths under <see cref="Models"/>.
    /// </summary>
    public string? Registry { get; init; }

    /// <summary>The real images as an ADM reference batch: images (KID, precision/recall) and mu/sigma, mu_s/sigma_s (FID, sFID).</summary>
    public string Reference => Registry is null ? Path.Combine(Models, Data.FidDirectory, "reference-batch.npz") : Data.EvaluationName;

    /// <summary>The data set's FID network with its spatial features (sFID) and logits (IS); its pooled features are features.pt's.</summary>
    public string Features => Registry is null ? Path.Combine(Models, Data.FidDirectory, "eval.pt") : Data.EvaluationName;

    /// <summary>The model whose converged ODE solve every row's trajectory error is measured against: the 1-rectified flow.</summary>
    public string TrajectoryModel => ModelOf(Data.TrajectoryPackage);

    /// <summary>A package by name in the registry, else its directory under <see cref="Models"/>.</summary>
    public string ModelOf(string package) => Registry is null ? Path.Combine(Models, package) : package;

    public IReadOnlyList<long> Seeds => [.. Enumerable.Range(0, Repeats).Select(r => Seed + r)];
}

/// <summary>
/// <c>orleansflow fid-table</c>: one FID job per row and seed through <see cref="EmbeddedRunner"/> (the
/// cluster's scheduler, workers and sampler grains in this process), all in one run on one set of warm
/// models, so FID, NFE and time per sample are comparable across rows; then each row's
/// trajectory error against a converged solve of the same noises (not timed).
/// </summary>
internal sealed class FidTable(FidTableOptions options, TextWriter output)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public async Task<FidTableReport> RunAsync(IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var file in options.Registry is null ? [options.Reference, options.Features] : Array.Empty<string>())
        {
            if (!File.Exists(file))
            {
                throw new SpecException("models", $"'{file}' does not exist: --models must hold {options.Data.FidDirectory}/ (or use a registry: {options.Data.PushScript})");
            }
        }

        TorchLibrary.SetThreads(options.Threads);
        // One embedded silo for every row and repeat: rows of one model share its warm sampler grain.
        await using var cluster = await EmbeddedCluster.StartAsync(options.Workers, options.Registry, cancellationToken);
        var machine = MachineInfo.Now();
        var load = machine.LoadAverage is { } value ? Format($", load average {value:F2} at start") : string.Empty;
        output.WriteLine(Format($"orleansflow fid-table: {machine.ProcessorCount} cores{load}, {machine.Os}, {machine.Runtime}"));
        if (machine.LoadAverage > machine.ProcessorCount)
        {
            output.WriteLine("WARNING: more runnable processes than cores: wall times are unreliable; FID, trajectory error and NFE are deterministic and unaffected.");
        }

        await PrepareRowsAsync(cluster, cancellationToken);
        var trajectorySamples = Math.Min(options.TrajectorySamples, options.Samples);
        output.WriteLine(Format($"{options.Data.FidLabel} of {options.Samples:N0} samples per row and seed (seeds {string.Join(", ", options.Seeds)}; random labels, guidance {options.Guidance}), batches of {options.BatchSize},"));
        output.WriteLine(Format($"{options.Workers} shard(s) at once, {options.Threads} libtorch thread(s) each; time: the fastest of the {options.Repeats} run(s)"));

        var seconds = options.Rows.Select(_ => new List<double>()).ToArray();
        var fids = options.Rows.Select(_ => new List<double>()).ToArray();
        var paths = options.Rows.Select(_ => new List<string>()).ToArray();
        var summaries = new JobSummary[options.Rows.Count];
        var evaluations = options.Rows.Select(_ => new List<EvaluationSummary?>()).ToArray();
        foreach (var seed in options.Seeds)
        {
            for (var i = 0; i < options.Rows.Count; i++)
            {
                var row = options.Rows[i];
                var spec = Spec(row, seed);
                var directory = Path.Combine(options.Out, Slug(row.Name), Format($"seed-{seed}"));
                var summary = await cluster.RunAsync(spec, directory, new RunOptions { Force = true, Workers = options.Workers }, progress, cancellationToken);
                seconds[i].Add(summary.Seconds);
                evaluations[i].Add(summary.Evaluation);
                fids[i].Add(summary.Fid!.Value);
                paths[i].Add(Path.Combine(directory, "summary.json"));
                summaries[i] = summary;
            }
        }

        output.WriteLine(Format($"trajectory error: {trajectorySamples:N0} samples of each row (seed {options.Seed}) against {TrajectoryError.Converged} of {options.Data.TrajectoryPackage} from the same noises and labels (not timed)"));
        var trajectory = new TrajectoryError(cluster.Models, options.TrajectoryModel, trajectorySamples);
        var errors = new List<double>();
        var grids = new List<string>();
        foreach (var row in options.Rows)
        {
            var measured = trajectory.Measure(Spec(row, options.Seed), cancellationToken);
            errors.Add(measured.Rms);
            var grid = Path.Combine(options.Out, Slug(row.Name), "samples.png");
            await File.WriteAllBytesAsync(grid, SampleGrid.Png(measured.Samples, measured.Shape), cancellationToken);
            grids.Add(grid);
        }

        var results = options.Rows.Select((row, i) => new FidTableResult(
            row,
            SeedEstimate.Of(fids[i]),
            errors[i],
            summaries[i].Nfe.Predictor,
            summaries[i].Nfe.Refiner,
            seconds[i].Min() * 1000 / options.Samples,
            seconds[i],
            paths[i],
            SuiteEstimates.Of(evaluations[i]),
            grids[i])).ToList();
        return new FidTableReport(
            options.Data.Name, options.Data.FidLabel, options.Data.ReferenceImages, options.Data.TrajectoryPackage, machine, options.Samples, options.Seeds, options.BatchSize, options.Workers, options.Threads, options.Guidance, trajectorySamples,
            Format($"{TrajectoryError.Converged} of {Described(options.TrajectoryModel)}"),
            Described(options.Reference), summaries[0].FeaturePreprocessing ?? options.Features, options.Metrics, results);
    }

    /// <summary>
    /// Loads every row's model and warms its batch shapes before the first row runs, so a package missing from
    /// --models or the registry (or a row the options make invalid) fails in seconds with the row named, before
    /// anything is written, instead of after the rows before it ran for minutes.
    /// </summary>
    private async Task PrepareRowsAsync(EmbeddedCluster cluster, CancellationToken cancellationToken)
    {
        foreach (var row in options.Rows)
        {
            try
            {
                await cluster.WarmAsync(Spec(row, options.Seeds[0]), cancellationToken);
            }
            catch (SpecException e)
            {
                throw new SpecException(options.Registry is null ? "models" : "registry", $"row '{row.Name}' ({row.Package}): {e.Detail}");
            }
        }
    }

    public static void Print(FidTableReport report, TextWriter w)
    {
        w.WriteLine();
        var heun8 = report.Rows.FirstOrDefault(r => r.Row.Sampler == FidTableRow.Baseline);
        var suite = SuiteColumns.Where(c => report.Rows.Any(r => c.Of(r.Suite) is not null)).ToList();
        // One seed has no seed-to-seed spread: leave it out rather than print "± 0.000" everywhere.
        var spread = report.Seeds.Count > 1;
        var sd = spread ? " ± sd" : string.Empty;
        var table = new TextTable(["row", "model", "sampler", $"{report.FidLabel}" + sd, .. suite.Select(c => c.Header + sd), "traj RMS", "÷ Heun 8", "NFE pred", "NFE ref", "ms/sample"]);
        foreach (var r in report.Rows)
        {
            table.Add(
            [
                r.Row.Name, r.Row.Package, r.Row.Sampler, Estimate(r.Fid.Mean, r.Fid.Spread, spread),
                .. suite.Select(c => c.Of(r.Suite) is { } e ? Estimate(e.Mean * c.Scale, e.Spread * c.Scale, spread) : "-"),
                Format($"{r.TrajectoryRms:F4}"),
                heun8 is null ? "-" : Format($"{r.TrajectoryRms / heun8.TrajectoryRms:F2}"),
                Format($"{r.PredictorNfe}"), Format($"{r.RefinerNfe}"), Format($"{r.MsPerSample:F3}"),
            ]);
        }

        table.WriteTo(w);
        w.WriteLine();
        w.WriteLine(spread
            ? Format($"{report.FidLabel}: mean ± sample sd over seeds {string.Join(", ", report.Seeds)}. traj RMS: per pixel, {report.TrajectorySamples:N0} samples against {TrajectoryError.Converged} of {report.TrajectoryPackage}.")
            : Format($"{report.FidLabel}: seed {report.Seeds[0]} (one run: --repeats 2 or more adds the seed-to-seed sd). traj RMS: per pixel, {report.TrajectorySamples:N0} samples against {TrajectoryError.Converged} of {report.TrajectoryPackage}."));
        if (suite.Count > 0)
        {
            w.WriteLine(Format($"{string.Join(", ", suite.Select(c => c.Header))}: the same, against the reference batch's {report.ReferenceImages:N0} images (docs/evaluation.md); KID ×10³."));
        }

        var finaliser = report.Rows.Average(r => r.Suite.FinaliserSeconds);
        w.WriteLine(finaliser > 0
            ? Format($"ms/sample: the whole embedded FID job (sampling, {report.FidLabel} features, shard files, merge) over its samples, warm models, fastest seed; the finaliser's time for the other metrics ({finaliser:F2} s per job on average) is not in it.")
            : Format($"ms/sample: the whole embedded FID job (sampling, {report.FidLabel} features, shard files, merge) over its samples, warm models, fastest seed."));
        foreach (var line in Findings(report.Rows))
        {
            w.WriteLine(line);
        }
    }

    /// <summary>
    /// The claims of the seed papers, read off the rows. A row "reaches" another when its trajectory error
    /// (deterministic) is at most the other's and its FID is not above the other's by more than the two
    /// seed spreads together (<see cref="SeedEstimate.ClearlyBelow"/>: FlowTurbo's "equal or better FID",
    /// within what the seeds can tell; with one seed, no spread, the mean must be at most the other's). For each FlowTurbo row with refiner steps: the Heun
    /// row with the most steps it reaches and the time it saves against it (FlowTurbo's "same quality in
    /// less time"); the pseudo-corrector-only row of the same predictor NFE (the refiner's contribution
    /// and cost, FlowTurbo's ablation); the Heun and pseudo-corrector-only rows closest to it in time.
    /// Then the goal against Heun 8, and the one-step rows against the best multi-step row.
    /// </summary>
    public static IEnumerable<string> Findings(IReadOnlyList<FidTableResult> rows)
    {
        var heun = rows.Where(r => r.Row.IsHeun).OrderBy(r => r.PredictorNfe).ToList();
        var turbo = rows.Where(r => r.Row.IsFlowTurbo).ToList();
        foreach (var t in turbo.Where(r => r.RefinerNfe > 0))
        {
            var reached = heun.LastOrDefault(h => Reaches(t, h));
            var parts = new List<string> { Format($"{t.Row.Name}: traj {t.TrajectoryRms:F4}, FID {t.Fid.Mean:F3} in {t.MsPerSample:F3} ms/sample") };
            parts.Add(reached is null
                ? "reaches no Heun row"
                : Format($"reaches {reached.Row.Name} (traj {reached.TrajectoryRms:F4}, FID {reached.Fid.Mean:F3}) in {Saving(t, reached)} less time"));
            var pseudo = turbo.FirstOrDefault(p => p.RefinerNfe == 0 && p.PredictorNfe == t.PredictorNfe);
            if (pseudo is not null)
            {
                parts.Add(Format($"vs {pseudo.Row.Name} (same predictor NFE) the {t.RefinerNfe} refiner calls give traj {t.TrajectoryRms / pseudo.TrajectoryRms:F2}×, FID {t.Fid.Mean - pseudo.Fid.Mean:+0.000;-0.000} and cost {t.MsPerSample - pseudo.MsPerSample:+0.000;-0.000} ms/sample"));
            }

            foreach (var near in new[] { heun, turbo.Where(p => p.RefinerNfe == 0).ToList() }.Select(group => ClosestInTime(group, t)).OfType<FidTableResult>())
            {
                parts.Add(Format($"at matched time vs {near.Row.Name} ({near.MsPerSample:F3} ms): traj {t.TrajectoryRms / near.TrajectoryRms:F2}×, FID {t.Fid.Mean - near.Fid.Mean:+0.000;-0.000}"));
            }

            yield return string.Join("; ", parts) + ".";
        }

        if (rows.FirstOrDefault(r => r.Row.Sampler == FidTableRow.Baseline) is { } baseline && turbo.Count > 0)
        {
            var fastest = turbo.Where(t => Reaches(t, baseline)).OrderBy(t => t.MsPerSample).FirstOrDefault();
            yield return fastest is null
                ? Format($"Goal (Heun 8's trajectory error and FID in >= 50 % less time): not reached; no FlowTurbo row reaches Heun 8 (traj {baseline.TrajectoryRms:F4}, FID {baseline.Fid.Mean:F3}).")
                : Format($"Goal (Heun 8's trajectory error and FID in >= 50 % less time): {(fastest.MsPerSample <= baseline.MsPerSample / 2 ? "reached" : "not reached")} — {fastest.Row.Name} reaches Heun 8 in {Saving(fastest, baseline)} less time ({fastest.MsPerSample:F3} vs {baseline.MsPerSample:F3} ms/sample).");
        }

        var best = rows.Where(r => !r.Row.IsOneStep).OrderBy(r => r.Fid.Mean).FirstOrDefault();
        foreach (var one in rows.Where(r => r.Row.IsOneStep))
        {
            if (best is not null)
            {
                yield return Format($"{one.Row.Name}: FID {one.Fid.Mean:F3} vs the best multi-step row, {best.Row.Name} ({best.Fid.Mean:F3}): {one.Fid.Mean - best.Fid.Mean:+0.000;-0.000} at 1 NFE; traj {one.TrajectoryRms:F4}.");
            }
        }
    }

    private static FidTableResult? ClosestInTime(IEnumerable<FidTableResult> rows, FidTableResult row) =>
        rows.Where(r => r != row).OrderBy(r => Math.Abs(r.MsPerSample - row.MsPerSample)).FirstOrDefault();

    /// <summary>A path in full, or a registry name as it is.</summary>
    private string Described(string pathOrName) => options.Registry is null ? Path.GetFullPath(pathOrName) : $"'{pathOrName}' in the registry {options.Registry}";

    private static bool Reaches(FidTableResult row, FidTableResult other) => row.TrajectoryRms <= other.TrajectoryRms && !other.Fid.ClearlyBelow(row.Fid);

    private static string Saving(FidTableResult fast, FidTableResult slow) => Format($"{1 - (fast.MsPerSample / slow.MsPerSample):P0}");

    public static string Slug(string name) =>
        string.Join('-', string.Concat(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ')).Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private JobSpec Spec(FidTableRow row, long seed) => new JobSpec
    {
        Kind = JobKind.Fid,
        Model = options.ModelOf(row.Package),
        Sampler = SamplerSpec.Parse(row.Sampler),
        Samples = options.Samples,
        Seed = seed,
        ShardSize = Math.Max(options.BatchSize, (options.Samples + options.Workers - 1) / options.Workers),
        BatchSize = options.BatchSize,
        Guidance = options.Guidance,
        Reference = options.Reference,
        Features = options.Features,
        Metrics = options.Metrics,
    }.Validate();

    /// <summary>The suite's columns, in the evaluator's order; KID is shown ×10³ (values of a few 10⁻³).</summary>
    private static readonly (string Header, double Scale, Func<SuiteEstimates, SeedEstimate?> Of)[] SuiteColumns =
    [
        ("sFID", 1, s => s.Sfid), ("IS", 1, s => s.InceptionScore), ("precision", 1, s => s.Precision),
        ("recall", 1, s => s.Recall), ("KID×10³", 1000, s => s.Kid),
    ];

    private static string Format(FormattableString text) => text.ToString(Invariant);

    private static string Estimate(double mean, double spread, bool withSpread) =>
        withSpread ? Format($"{mean:F3} ± {spread:F3}") : Format($"{mean:F3}");
}
