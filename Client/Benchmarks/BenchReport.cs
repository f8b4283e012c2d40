using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>Everything one bench run measured; written as JSON by <c>--json</c>.</summary>
internal sealed record BenchReport(MachineInfo Machine, bool Quick, OverheadReport Overhead, SamplerReport Samplers);

/// <param name="LoadAverage">The 1-minute load average when the bench started (Linux), to judge how shared the cores were.</param>
internal sealed record MachineInfo(int ProcessorCount, string Os, string Runtime, double? LoadAverage)
{
    private const string LoadAverageFile = "/proc/loadavg";

    public static MachineInfo Now() => new(
        Environment.ProcessorCount,
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        ReadLoadAverage());

    private static double? ReadLoadAverage()
    {
        try
        {
            var first = File.ReadAllText(LoadAverageFile).Split(' ')[0];
            return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Part (a): the same FID job through the embedded runner and through direct loops.</summary>
internal sealed record OverheadReport(
    SamplerSpec Sampler, int Samples, int ShardSize, int BatchSize, int Repetitions, IReadOnlyList<OverheadVariant> Variants, double Fid, bool FidIdentical);

/// <param name="Seconds">Wall time of every timed run, in the order run.</param>
/// <param name="SamplesPerSecond">Samples over the median time.</param>
/// <param name="SpeedVsEmbedded">This variant's samples/s over the embedded runner's.</param>
internal sealed record OverheadVariant(
    string Name, int Workers, string Includes, IReadOnlyList<double> Seconds, double MedianSeconds, double BestSeconds, double SamplesPerSecond, double SpeedVsEmbedded);

/// <summary>Part (b): every sampler setting against a fine reference solution and the exact moments.</summary>
internal sealed record SamplerReport(
    SamplerSpec Reference,
    int ErrorSamples,
    int FidSamples,
    int TimingRuns,
    int Workers,
    double ReferenceSeconds,
    IReadOnlyList<SamplerRow> Rows,
    ConvergenceOrders Orders,
    MatchedError Matched);

/// <param name="PredictorNfe">Predictor evaluations per sample, as counted while sampling.</param>
/// <param name="RefinerNfe">Refiner evaluations per sample, as counted while sampling.</param>
/// <param name="RmsError">RMS of x1 − x1(reference) over the first ErrorSamples samples.</param>
/// <param name="MsPer1000">Wall milliseconds per 1000 samples, generation only, fastest of TimingRuns runs on the error samples.</param>
/// <param name="Fid">Against the exact moments, from FidSamples samples.</param>
internal sealed record SamplerRow(SamplerSpec Sampler, long PredictorNfe, long RefinerNfe, double RmsError, double MsPer1000, double Fid)
{
    public SamplerKind Family => Sampler.Kind;
}

/// <summary>Least-squares slopes of log(error) against log(h) over every step count swept.</summary>
internal sealed record ConvergenceOrders(double Euler, double Heun);

/// <summary>Per family, the cheapest setting whose error is at most the target's.</summary>
internal sealed record MatchedError(SamplerSpec Target, double TargetError, IReadOnlyList<MatchedChoice> Choices);

/// <param name="Criterion">What "cheapest" means: <c>predictor NFE</c> or <c>time</c>.</param>
/// <param name="Row">The setting chosen; null when no setting of the family reached the target.</param>
/// <param name="NfeVsHeun">Predictor NFE over Heun's choice by the same criterion.</param>
/// <param name="TimeVsHeun">Wall time over Heun's choice by the same criterion.</param>
internal sealed record MatchedChoice(SamplerKind Family, string Criterion, SamplerRow? Row, double? NfeVsHeun, double? TimeVsHeun);
