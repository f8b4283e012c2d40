using System.Diagnostics;
using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>
/// Part (b): every sampler setting on gmm-demo against a fine reference solution (RMS error, same noise
/// and labels) and against the exact moments (FID), with its evaluations and wall time.
/// </summary>
internal static class SamplerBenchmark
{
    public static SamplerReport Run(BenchSettings settings, IProgress<string> status, CancellationToken cancellationToken)
    {
        var model = GmmDemo.Create();
        status.Report($"reference solution {settings.Reference} on {settings.ErrorSamples:N0} samples");
        var clock = Stopwatch.StartNew();
        var (reference, _) = DirectLoop.Samples(ResolvedJob.Create(settings.FidJob(settings.Reference, settings.ErrorSamples), model), settings.Workers, cancellationToken);
        var referenceSeconds = clock.Elapsed.TotalSeconds;

        var rows = new List<SamplerRow>();
        foreach (var sampler in settings.Samplers)
        {
            status.Report($"{sampler} ({rows.Count + 1}/{settings.Samplers.Count})");
            rows.Add(Measure(settings, sampler, model, reference, cancellationToken));
        }

        return new SamplerReport(
            settings.Reference,
            settings.ErrorSamples,
            settings.FidSamples,
            settings.TimingRuns,
            settings.Workers,
            referenceSeconds,
            rows,
            new ConvergenceOrders(Order(rows, SamplerKind.Euler), Order(rows, SamplerKind.Heun)),
            MatchedErrorAnalysis.Find(rows, settings.Target));
    }

    /// <summary>The least-squares order over every step count of the family.</summary>
    public static double Order(IEnumerable<SamplerRow> rows, SamplerKind family)
    {
        var swept = rows.Where(r => r.Family == family).ToList();
        return SolverError.ConvergenceOrder([.. swept.Select(r => r.Sampler.Steps)], [.. swept.Select(r => r.RmsError)]);
    }

    private static SamplerRow Measure(BenchSettings settings, SamplerSpec sampler, IFlowModel model, float[] reference, CancellationToken cancellationToken)
    {
        // Timed on the error samples, best of a few runs: one run of a fraction of a second on this shared
        // machine was too noisy to rank neighbouring settings. Only generation is timed.
        var errorJob = ResolvedJob.Create(settings.FidJob(sampler, settings.ErrorSamples), model);
        var fastest = TimeSpan.MaxValue;
        float[] samples = [];
        NfeCount nfe = default;
        for (var run = 0; run < settings.TimingRuns; run++)
        {
            var clock = Stopwatch.StartNew();
            (samples, nfe) = DirectLoop.Samples(errorJob, settings.Workers, cancellationToken);
            fastest = TimeSpan.FromTicks(Math.Min(fastest.Ticks, clock.Elapsed.Ticks));
        }

        // The same indices as the reference, hence the same noise and labels: they depend only on (seed, index).
        var error = SolverError.Rms(samples, reference);

        var fidJob = ResolvedJob.Create(settings.FidJob(sampler, settings.FidSamples), model);
        var moments = new FeatureMoments(fidJob.Features.Dimension);
        moments.AddFeatures(fidJob.Features, DirectLoop.Samples(fidJob, settings.Workers, cancellationToken).Samples, settings.FidSamples);
        var msPer1000 = fastest.TotalMilliseconds * 1000 / settings.ErrorSamples;
        return new SamplerRow(sampler, nfe.Predictor, nfe.Refiner, error, msPer1000, DirectLoop.FidOf(fidJob, moments));
    }
}
