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
            var job = ResolvedJob.Create(settings.FidJob(sampler, settings.FidSamples), model);
            rows.Add(Measure(job, reference, settings.Workers, cancellationToken));
        }

        return new SamplerReport(
            settings.Reference,
            settings.ErrorSamples,
            settings.FidSamples,
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

    private static SamplerRow Measure(ResolvedJob job, float[] reference, int workers, CancellationToken cancellationToken)
    {
        // Only generation is timed: the FID's moments cost the same for every sampler.
        var clock = Stopwatch.StartNew();
        var (samples, nfe) = DirectLoop.Samples(job, workers, cancellationToken);
        var msPer1000 = clock.Elapsed.TotalMilliseconds * 1000 / job.Spec.Samples;

        // Samples 0..ErrorSamples−1 have the reference's noise and labels: they depend only on (seed, index).
        var error = SolverError.Rms(samples.AsSpan(0, reference.Length), reference);
        var moments = new FeatureMoments(job.Features.Dimension);
        moments.AddFeatures(job.Features, samples, job.Spec.Samples);
        return new SamplerRow(job.Spec.Sampler, nfe.Predictor, nfe.Refiner, error, msPer1000, DirectLoop.FidOf(job, moments));
    }
}
