using OrleansFlow.Client.Benchmarks;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Tests.Benchmarks;

/// <summary>
/// A smoke test of <c>orleansflow bench --quick</c>: the figures are not asserted as performance, only
/// that they are present, consistent with each other and with the samplers' definitions.
/// </summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("orleansflow-bench-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Bench_Quick_PrintsTablesAndWritesConsistentFigures()
    {
        var json = Path.Combine(_directory, "bench.json");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await Cli.RunAsync(["bench", "--quick", "--json", json], output, error);

        Assert.True(exit == ExitCodes.Success, $"exit {exit}: {error}");
        var text = output.ToString();
        foreach (var title in new[] { BenchPrinter.OverheadTitle, BenchPrinter.SamplersTitle, BenchPrinter.MatchedTitle })
        {
            Assert.Contains(title, text, StringComparison.Ordinal);
        }

        Assert.Contains($"{Environment.ProcessorCount} cores", text, StringComparison.Ordinal);

        var report = JobJson.Deserialize<BenchReport>(File.ReadAllBytes(json));
        Assert.True(report.Quick);
        AssertOverhead(report.Overhead);
        AssertSamplers(report.Samplers);
    }

    [Fact]
    public async Task Bench_JsonFolderMissing_BadInputBeforeMeasuring()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await Cli.RunAsync(["bench", "--quick", "--json", Path.Combine(_directory, "missing", "bench.json")], output, error);

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("--json", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    private static void AssertOverhead(OverheadReport overhead)
    {
        Assert.Equal(["embedded runner", "direct loop, serial", "direct loop, parallel"], overhead.Variants.Select(v => v.Name));
        Assert.True(overhead.FidIdentical, "the runner and the direct loops must compute the same statistics");
        Assert.InRange(overhead.Fid, 0, 10);
        foreach (var variant in overhead.Variants)
        {
            Assert.Equal(overhead.Repetitions, variant.Seconds.Count);
            Assert.All(variant.Seconds, s => Assert.True(s > 0));
            Assert.Equal(variant.Seconds.Min(), variant.BestSeconds);
            Assert.InRange(variant.MedianSeconds, variant.BestSeconds, variant.Seconds.Max());
            Assert.Equal(overhead.Samples / variant.MedianSeconds, variant.SamplesPerSecond, 6);
        }
    }

    private static void AssertSamplers(SamplerReport samplers)
    {
        Assert.Contains(samplers.Rows, r => r.Family == SamplerKind.Euler);
        Assert.Contains(samplers.Rows, r => r.Family == SamplerKind.FlowTurbo);
        foreach (var row in samplers.Rows)
        {
            // Counted while sampling, so this checks the samplers against their own definition.
            Assert.Equal(row.Sampler.PredictorNfe, row.PredictorNfe);
            Assert.Equal(row.Sampler.RefinerNfe, row.RefinerNfe);
            Assert.True(row.RmsError is > 0 and < 1, $"{row.Sampler}: RMS error {row.RmsError}");
            Assert.True(row.MsPer1000 > 0 && double.IsFinite(row.Fid) && row.Fid >= 0, $"{row.Sampler}: {row}");
        }

        var heun = samplers.Rows.Where(r => r.Family == SamplerKind.Heun).OrderBy(r => r.Sampler.Steps).ToList();
        Assert.True(heun.Count >= 3);
        Assert.All(heun.Zip(heun.Skip(1)), pair => Assert.True(
            pair.Second.RmsError < pair.First.RmsError / 2.5, $"{pair.Second.Sampler} should be far more accurate than {pair.First.Sampler}"));
        Assert.InRange(samplers.Orders.Euler, 0.8, 1.2);
        Assert.InRange(samplers.Orders.Heun, 1.5, 2.3);

        var matched = samplers.Matched;
        Assert.Equal(samplers.Rows.Single(r => r.Sampler == matched.Target).RmsError, matched.TargetError);
        var heunByNfe = matched.Choices.Single(c => c.Family == SamplerKind.Heun && c.Criterion == MatchedErrorAnalysis.ByPredictorNfe);
        Assert.Equal(1.0, heunByNfe.NfeVsHeun);
        foreach (var choice in matched.Choices.Where(c => c.Row is not null))
        {
            Assert.True(choice.Row!.RmsError <= matched.TargetError);
            var rivals = samplers.Rows.Where(r => r.Family == choice.Family && r.RmsError <= matched.TargetError);
            Assert.DoesNotContain(rivals, r => choice.Criterion == MatchedErrorAnalysis.ByPredictorNfe
                ? r.PredictorNfe < choice.Row.PredictorNfe
                : r.MsPer1000 < choice.Row.MsPer1000);
        }
    }
}
