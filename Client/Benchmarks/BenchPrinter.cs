using System.Globalization;
using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>Writes a <see cref="BenchReport"/> as aligned text tables, with what each figure includes.</summary>
internal static class BenchPrinter
{
    public const string OverheadTitle = "(a) Overhead of the machinery";
    public const string SamplersTitle = "(b) Samplers on gmm-demo";
    public const string MatchedTitle = "Matched error";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void WriteMachine(TextWriter w, MachineInfo machine, bool quick)
    {
        var load = machine.LoadAverage is { } value ? Format($", load average {value:F2} at start") : string.Empty;
        w.WriteLine(Format($"orleansflow bench{(quick ? " --quick" : string.Empty)}: {machine.ProcessorCount} cores (Environment.ProcessorCount){load}, {machine.Os}, {machine.Runtime}"));
        if (machine.LoadAverage > machine.ProcessorCount)
        {
            // Errors, NFE and FID are deterministic; only the times suffer from a shared machine.
            w.WriteLine("WARNING: more runnable processes than cores: other work shares the CPU, so wall times (and any ranking by time)");
            w.WriteLine("         are unreliable here; the NFE, error and FID columns are deterministic and unaffected.");
        }
    }

    public static void WriteOverhead(TextWriter w, OverheadReport report)
    {
        w.WriteLine();
        w.WriteLine(Format(
            $"{OverheadTitle}: FID job of gmm-demo, {report.Sampler}, {report.Samples:N0} samples in shards of {report.ShardSize:N0}, batches of {report.BatchSize:N0}"));
        w.WriteLine(Format($"median and best of {report.Repetitions} runs per variant, interleaved in rotated order after an untimed warm-up"));
        w.WriteLine();
        var table = new TextTable("variant", "shards at once", "median s", "best s", "samples/s (median)", "speed vs embedded");
        foreach (var v in report.Variants)
        {
            table.Add(v.Name, Format($"{v.Workers}"), Format($"{v.MedianSeconds:F3}"), Format($"{v.BestSeconds:F3}"), Format($"{v.SamplesPerSecond:N0}"), Ratio(v.SpeedVsEmbedded));
        }

        table.WriteTo(w);
        w.WriteLine();
        w.WriteLine(Format($"FID {report.Fid:F6} from every run of every variant, bit for bit: {(report.FidIdentical ? "yes" : "NO")} (the same work was done)"));
        foreach (var v in report.Variants)
        {
            w.WriteLine($"- {v.Name}: {v.Includes}.");
        }

        w.WriteLine("- In every variant the CPU backend spreads each batch's velocity calls over all cores (CpuTensorBackend.ForEachSample),");
        w.WriteLine("  and FeatureMoments.AddBatch spreads its rows over the cores, so even the serial loop uses every core inside a batch;");
        w.WriteLine("  'shards at once' is shard-level parallelism on top. Embedded vs parallel loop = the machinery's cost;");
        w.WriteLine("  parallel vs serial loop = what running shards side by side adds to the within-batch parallelism.");
    }

    public static void WriteSamplers(TextWriter w, SamplerReport report)
    {
        w.WriteLine();
        w.WriteLine(Format($"{SamplersTitle}: RMS error vs {report.Reference} on samples 0..{report.ErrorSamples - 1} (same noise and labels),"));
        w.WriteLine(Format($"FID vs the exact moments from {report.FidSamples:N0} samples (identity features, as the fid job)"));
        w.WriteLine(Format(
            $"time = generation only, fastest of {report.TimingRuns} runs on the {report.ErrorSamples:N0} error samples, {report.Workers} shards at once; the reference took {report.ReferenceSeconds:F1} s"));
        w.WriteLine();
        var table = new TextTable("sampler", "predictor NFE", "refiner NFE", "RMS error", "local order", "ms/1000 samples", "FID");
        SamplerRow? previous = null;
        foreach (var row in report.Rows)
        {
            table.Add(row.Sampler.ToString(), Format($"{row.PredictorNfe}"), Format($"{row.RefinerNfe}"), Error(row.RmsError),
                LocalOrder(previous, row), Format($"{row.MsPer1000:F1}"), Format($"{row.Fid:F4}"));
            previous = row;
        }

        table.WriteTo(w);
        w.WriteLine();
        w.WriteLine(Format(
            $"Empirical convergence order (least-squares slope of log error vs log h over the steps above): Euler {report.Orders.Euler:F2}, Heun {report.Orders.Heun:F2}"));
        w.WriteLine("- local order = log(e_prev/e)/log(N/N_prev) against the row above, within Euler and within Heun.");
        w.WriteLine("- FlowTurbo's refiner here is the GMM's exact oracle R(x,t,u) = v(x,t) - u: one refiner call costs one predictor call,");
        w.WriteLine("  so the times charge refiner NFE at full price. On real models the refiner is a small network (FlowTurbo: a few %");
        w.WriteLine("  of the predictor), which is why predictor NFE, refiner NFE and time are reported separately.");
        w.WriteLine("- FID from a finite sample has a floor (sampling noise of mean and covariance): below it, FID no longer ranks samplers.");
    }

    public static void WriteMatched(TextWriter w, SamplerReport report)
    {
        var matched = report.Matched;
        w.WriteLine();
        w.WriteLine(Format($"{MatchedTitle}: the cheapest setting of each family with RMS error <= {Error(matched.TargetError)} (that of {matched.Target})"));
        w.WriteLine();
        var table = new TextTable("family", "cheapest by", "setting", "predictor NFE", "refiner NFE", "RMS error", "ms/1000 samples", "NFE vs Heun", "time vs Heun");
        foreach (var choice in matched.Choices)
        {
            var family = choice.Family.ToString();
            if (choice.Row is not { } row)
            {
                table.Add(family, choice.Criterion, "not reached", "", "", "", "", "", "");
                continue;
            }

            table.Add(family, choice.Criterion, row.Sampler.ToString(), Format($"{row.PredictorNfe}"), Format($"{row.RefinerNfe}"), Error(row.RmsError),
                Format($"{row.MsPer1000:F1}"), Ratio(choice.NfeVsHeun!.Value), Ratio(choice.TimeVsHeun!.Value));
        }

        table.WriteTo(w);
        w.WriteLine("- NFE vs Heun counts predictor calls only; time vs Heun includes the refiner calls at this model's (full) price.");
    }

    private static string LocalOrder(SamplerRow? previous, SamplerRow row) =>
        previous is not null && previous.Family == row.Family && row.Family is SamplerKind.Euler or SamplerKind.Heun
            ? Format($"{SolverError.ConvergenceOrder([previous.Sampler.Steps, row.Sampler.Steps], [previous.RmsError, row.RmsError]):F2}")
            : string.Empty;

    private static string Error(double value) => value.ToString("0.000e+00", Invariant);

    private static string Ratio(double value) => Format($"{value:F2}x");

    private static string Format(FormattableString text) => text.ToString(Invariant);
}
