using System.Globalization;
using OrleansFlow.Actors;
using OrleansFlow.Client.Benchmarks;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using OrleansFlow.Silo.Embedded;
using OrleansFlow.Torch;

namespace OrleansFlow.Client.Evaluation;

/// <param name="Models">The directory holding the packages and <c>digits-fid/</c> (features, reference).</param>
/// <param name="Repeats">Runs of every row, interleaved; the fastest time is reported (FID is identical each time).</param>
internal sealed record FidTableOptions(
    string Models, int Samples, long Seed, int BatchSize, int Workers, int Threads, double Guidance, int Repeats, string Out, IReadOnlyList<FidTableRow> Rows)
{
    public string Reference => Path.Combine(Models, "digits-fid", "reference.npz");

    public string Features => Path.Combine(Models, "digits-fid", "features.pt");
}

/// <summary>
/// <c>orleansflow fid-table</c>: one FID job per row through <see cref="EmbeddedRunner"/> (the cluster's
/// scheduler, workers and sampler actors in this process), all in one run on one set of warm sampler
/// actors, so FID-digits, NFE and time per sample are comparable across rows.
/// </summary>
internal sealed class FidTable(FidTableOptions options, TextWriter output)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public async Task<FidTableReport> RunAsync(IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var file in new[] { options.Reference, options.Features })
        {
            if (!File.Exists(file))
            {
                throw new SpecException("models", $"'{file}' does not exist: --models must hold digits-fid/ (made by tools/train_digits.py)");
            }
        }

        TorchLibrary.SetThreads(options.Threads);
        // One embedded silo for every row and repeat: rows of one model share its warm sampler grain.
        await using var cluster = await EmbeddedCluster.StartAsync(options.Workers, cancellationToken);
        var machine = MachineInfo.Now();
        var load = machine.LoadAverage is { } value ? Format($", load average {value:F2} at start") : string.Empty;
        output.WriteLine(Format($"orleansflow fid-table: {machine.ProcessorCount} cores{load}, {machine.Os}, {machine.Runtime}"));
        if (machine.LoadAverage > machine.ProcessorCount)
        {
            output.WriteLine("WARNING: more runnable processes than cores: wall times are unreliable; FID and NFE are deterministic and unaffected.");
        }

        output.WriteLine(Format($"FID-digits of {options.Samples:N0} samples per row (seed {options.Seed}, random labels, guidance {options.Guidance}), batches of {options.BatchSize},"));
        output.WriteLine(Format($"{options.Workers} shard(s) at once, {options.Threads} libtorch thread(s) each; best of {options.Repeats} run(s)"));

        var seconds = options.Rows.Select(_ => new List<double>()).ToArray();
        var summaries = new JobSummary[options.Rows.Count];
        for (var repeat = 0; repeat < options.Repeats; repeat++)
        {
            for (var i = 0; i < options.Rows.Count; i++)
            {
                var row = options.Rows[i];
                var spec = Spec(row);
                await cluster.WarmAsync(spec, cancellationToken);
                var directory = Path.Combine(options.Out, Slug(row.Name));
                var summary = await cluster.RunAsync(spec, directory, new RunOptions { Force = true, Workers = options.Workers }, progress, cancellationToken);
                seconds[i].Add(summary.Seconds);
                summaries[i] = summary;
            }
        }

        var results = options.Rows.Select((row, i) => new FidTableResult(
            row,
            summaries[i].Fid!.Value,
            summaries[i].Nfe.Predictor,
            summaries[i].Nfe.Refiner,
            seconds[i].Min() * 1000 / options.Samples,
            seconds[i],
            Path.Combine(options.Out, Slug(row.Name), "summary.json"))).ToList();
        return new FidTableReport(
            machine, options.Samples, options.Seed, options.BatchSize, options.Workers, options.Threads, options.Guidance, options.Repeats,
            Path.GetFullPath(options.Reference), summaries[0].FeaturePreprocessing ?? options.Features, results);
    }

    public static void Print(FidTableReport report, TextWriter w)
    {
        w.WriteLine();
        var table = new TextTable("row", "model", "sampler", "FID-digits", "NFE pred", "NFE ref", "ms/sample");
        foreach (var r in report.Rows)
        {
            table.Add(r.Row.Name, r.Row.Package, r.Row.Sampler, Format($"{r.Fid:F3}"), Format($"{r.PredictorNfe}"), Format($"{r.RefinerNfe}"), Format($"{r.MsPerSample:F3}"));
        }

        table.WriteTo(w);
        w.WriteLine();
        w.WriteLine("ms/sample: the whole embedded FID job (sampling, FID-digits features, shard files, merge) over its samples, warm models.");
        foreach (var line in Findings(report.Rows))
        {
            w.WriteLine(line);
        }
    }

    /// <summary>
    /// The claims of the seed papers, read off the rows. For each FlowTurbo row: the Heun row with the
    /// fewest steps that is at least as good (FlowTurbo's "same FID in less time") and the Heun row with
    /// the most steps that it beats; Heun rows are ordered by NFE, not by the (noisy) time. Then the
    /// one-step rows against the best FID of any multi-step row.
    /// </summary>
    public static IEnumerable<string> Findings(IReadOnlyList<FidTableResult> rows)
    {
        var heun = rows.Where(r => r.Row.IsHeun).OrderBy(r => r.PredictorNfe).ToList();
        foreach (var turbo in rows.Where(r => r.Row.IsFlowTurbo))
        {
            var asGood = heun.FirstOrDefault(h => h.Fid <= turbo.Fid);
            var beaten = heun.LastOrDefault(h => h.Fid > turbo.Fid);
            var parts = new List<string> { Format($"{turbo.Row.Name}: FID {turbo.Fid:F3} in {turbo.MsPerSample:F3} ms/sample") };
            if (beaten is not null)
            {
                parts.Add(Format($"better than {beaten.Row.Name} (FID {beaten.Fid:F3}, {beaten.MsPerSample:F3} ms: {Saving(turbo, beaten)} less time)"));
            }

            parts.Add(asGood is null
                ? "better than every Heun row"
                : Format($"not as good as {asGood.Row.Name} (FID {asGood.Fid:F3}, {asGood.MsPerSample:F3} ms: {Saving(turbo, asGood)} less time)"));
            yield return string.Join("; ", parts) + ".";
        }

        var best = rows.Where(r => !r.Row.IsOneStep).OrderBy(r => r.Fid).FirstOrDefault();
        foreach (var one in rows.Where(r => r.Row.IsOneStep))
        {
            if (best is not null)
            {
                yield return Format($"{one.Row.Name}: FID {one.Fid:F3} vs the best multi-step row, {best.Row.Name} ({best.Fid:F3}): {one.Fid - best.Fid:+0.000;-0.000} at 1 NFE.");
            }
        }
    }

    private static string Saving(FidTableResult fast, FidTableResult slow) => Format($"{1 - (fast.MsPerSample / slow.MsPerSample):P0}");

    public static string Slug(string name) =>
        string.Concat(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));

    private JobSpec Spec(FidTableRow row) => new JobSpec
    {
        Kind = JobKind.Fid,
        Model = Path.Combine(options.Models, row.Package),
        Sampler = SamplerSpec.Parse(row.Sampler),
        Samples = options.Samples,
        Seed = options.Seed,
        ShardSize = Math.Max(options.BatchSize, (options.Samples + options.Workers - 1) / options.Workers),
        BatchSize = options.BatchSize,
        Guidance = options.Guidance,
        Reference = options.Reference,
        Features = options.Features,
    }.Validate();

    private static string Format(FormattableString text) => text.ToString(Invariant);
}
