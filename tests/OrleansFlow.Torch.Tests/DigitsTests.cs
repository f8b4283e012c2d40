using System.Text.Json;
using OrleansFlow.Client;
using OrleansFlow.Client.Evaluation;
using OrleansFlow.Cluster;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Testing;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// The shipped digits models generate what they are asked for: samples of a requested class that the
/// shipped classifier (a separate network) recognises as that class, through the same job machinery
/// as the CLI; the README's main job (fid-table) runs end to end; its two quality measures see solver
/// error; and the shipped FlowTurbo refiner beats the pseudo-corrector steps it replaces.
/// </summary>
public class DigitsTests
{
    /// <summary>The FlowTurbo schedule the README's table ships (its refiner is trained on this grid).</summary>
    private const string ShippedFlowTurbo = "flowturbo:h=1,p=4,r=4";

    private const int PerClass = 40;
    private const double Required = 0.7;

    public static TheoryData<string, string> Packages => new()
    {
        { "digits-rf", "heun:steps=8" },
        { "digits-rf", ShippedFlowTurbo },
        { "digits-2rf", "euler:steps=4" },
        { "digits-onestep", "onestep" },
    };

    [Theory]
    [MemberData(nameof(Packages))]
    public void Generate_RequestedClass_ClassifierRecognisesItInAClearMajority(string package, string sampler)
    {
        using var model = TorchFlowModel.Load(DigitsModels.Package(package));
        using var classifier = TorchFeatureExtractor.Load(DigitsModels.Classifier, model.Info.Shape);
        Assert.Equal((FeatureInput.Native, 10), (classifier.Input, classifier.Dimension));

        var report = new List<string>();
        foreach (var label in new[] { 0, 3, 5, 8 })
        {
            var spec = new JobSpec
            {
                Kind = JobKind.Generate, Model = package, Sampler = Sampling.SamplerSpec.Parse(sampler), Samples = PerClass, Seed = 11, ClassLabel = label,
            };
            var batch = ResolvedJob.Create(spec, model).Generator.Generate(0, PerClass);
            var logits = new float[PerClass * 10];
            classifier.Extract(batch.Samples, PerClass, logits);
            var hits = Enumerable.Range(0, PerClass).Count(i => ArgMax(logits.AsSpan(i * 10, 10)) == label);
            report.Add($"class {label}: {hits}/{PerClass}");
            Assert.All(batch.Labels, l => Assert.Equal(label, l));
            Assert.True(hits >= Required * PerClass, $"{package} {sampler}: {string.Join(", ", report)}; need {Required:P0} for each class");
        }
    }

    [Fact]
    public void FeatureExtractor_DigitsFeatures_DeclaresNativeInputAndRecordsIt()
    {
        using var features = TorchFeatureExtractor.Load(DigitsModels.Features, new Resolution(1, 8, 8));

        Assert.Equal(FeatureInput.Native, features.Input);
        Assert.Equal(64, features.Dimension);
        Assert.Contains("no resize", features.Preprocessing, StringComparison.Ordinal);
        Assert.Equal(FeatureInput.Inception299, TorchFeatureExtractor.ReadInput(TinyModel.StandInInception));
    }

    [Fact]
    public async Task FidTable_SmallSampleCount_RunsEveryRowAndWritesTheTable()
    {
        var outDirectory = Path.Combine(Path.GetTempPath(), $"orleansflow-table-{Guid.NewGuid():N}");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var code = await Cli.RunAsync(
                ["fid-table", "--data", "digits", "--models", DigitsModels.Directory, "--samples", "60", "--batch-size", "30", "--trajectory-samples", "30", "--out", outDirectory, "--quiet"], output, error);

            Assert.True(code == ExitCodes.Success, error.ToString());
            var text = output.ToString();
            foreach (var row in new[] { "Euler 8", "Heun 8", "H1P4R4", "1-rectified one-step", "2-rectified one-step", "distilled one-step", "traj RMS", "FID-digits ", "sFID ", "IS ", "precision ", "recall ", "KID×10³ " })
            {
                Assert.Contains(row, text, StringComparison.Ordinal);
            }

            // One seed: no seed-to-seed spread to print.
            Assert.DoesNotContain("±", text, StringComparison.Ordinal);

            using var table = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(outDirectory, "table.json")));
            var rows = table.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.True(rows.Count >= 10);
            Assert.All(rows, r => Assert.True(double.IsFinite(r.GetProperty("fid").GetProperty("mean").GetDouble()) && r.GetProperty("msPerSample").GetDouble() > 0));
            Assert.All(rows, r => Assert.True(r.GetProperty("trajectoryRms").GetDouble() > 0));
            // The suite's columns for every digits row, read from each row's own summary.json.
            Assert.All(rows, r =>
            {
                var suite = r.GetProperty("suite");
                using var summary = JsonDocument.Parse(File.ReadAllBytes(r.GetProperty("summaries")[0].GetString()!));
                var evaluation = summary.RootElement.GetProperty("evaluation");
                // The compiled form the job's shards ran with, reported by the silo that ran them.
                Assert.Contains(summary.RootElement.GetProperty("compilation").EnumerateArray(), c => c.GetProperty("batch").GetInt32() == 30 && c.GetProperty("chosen").GetString()!.Length > 0);
                Assert.Equal(evaluation.GetProperty("sfid").GetDouble(), suite.GetProperty("sfid").GetProperty("mean").GetDouble());
                Assert.Equal(evaluation.GetProperty("kid").GetDouble(), suite.GetProperty("kid").GetProperty("mean").GetDouble());
                Assert.InRange(suite.GetProperty("precision").GetProperty("mean").GetDouble(), 0, 1);
                Assert.InRange(suite.GetProperty("inceptionScore").GetProperty("mean").GetDouble(), 1, 10);
            });
            var turbo = rows.Single(r => r.GetProperty("row").GetProperty("sampler").GetString() == ShippedFlowTurbo);
            Assert.Equal((6, 8), (turbo.GetProperty("predictorNfe").GetInt64(), turbo.GetProperty("refinerNfe").GetInt64()));

            // The plot and a sample grid per row, as PNGs a viewer opens.
            var pareto = Formats.Png.Decode(await File.ReadAllBytesAsync(Path.Combine(outDirectory, "pareto.png")));
            Assert.Equal((ParetoPlot.Width, ParetoPlot.Height), (pareto.Width, pareto.Height));
            Assert.All(rows, r => Formats.Png.Decode(File.ReadAllBytes(r.GetProperty("sampleGrid").GetString()!)));
        }
        finally
        {
            if (Directory.Exists(outDirectory))
            {
                Directory.Delete(outDirectory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task FidTable_PackageOfALaterRowMissing_FailsNamingTheRowBeforeAnyRowRuns()
    {
        // The digits packages but the one-step model's, which only the table's later rows use.
        using var temp = new TemporaryDirectory();
        foreach (var package in new[] { "digits-rf", "digits-2rf", "digits-fid" })
        {
            DirectoryCopy.Copy(DigitsModels.Package(package), temp.Combine("models", package));
        }

        var outDirectory = temp.Combine("out");
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Cli.RunAsync(
            ["fid-table", "--data", "digits", "--models", temp.Combine("models"), "--registry", "none", "--samples", "60", "--batch-size", "30", "--trajectory-samples", "30", "--out", outDirectory, "--quiet"], output, error);

        Assert.Equal(ExitCodes.BadInput, code);
        var message = error.ToString().Trim();
        Assert.Single(message.Split('\n'));
        Assert.StartsWith("orleansflow: --models: row '", message, StringComparison.Ordinal);
        Assert.Contains("(digits-onestep)", message, StringComparison.Ordinal);
        // No row ran: none of them wrote its directory.
        Assert.False(Directory.Exists(outDirectory) && Directory.EnumerateDirectories(outDirectory).Any(), "a row ran before the missing package was found");
    }

    [Theory]
    [InlineData("flowturbo:h=1,p=4,r=0", 0.9)]
    [InlineData("flowturbo:h=1,p=5,r=0", 0.95)]
    public void FlowTurbo_ShippedRefiner_TrajectoryErrorBelowPseudoCorrectorOnly(string pseudoCorrectorOnly, double ratio)
    {
        // The pseudo-corrector-only schedule of the same predictor NFE (6), and the one with one more
        // predictor call (7; about the shipped schedule's wall time, its 8 refiner calls costing 0.09
        // predictor calls each): refiner steps must do better than the predictor steps they replace.
        var trajectory = new TrajectoryError(new CatalogModelLoader(), DigitsModels.Package("digits-rf"), 200);
        var turbo = trajectory.Measure(Spec(ShippedFlowTurbo, seed: 21), CancellationToken.None).Rms;
        var pseudo = trajectory.Measure(Spec(pseudoCorrectorOnly, seed: 21), CancellationToken.None).Rms;

        Assert.True(turbo < ratio * pseudo, $"trajectory RMS vs heun:steps=64: {ShippedFlowTurbo} {turbo:F4}, {pseudoCorrectorOnly} {pseudo:F4}");
    }

    [Fact]
    public async Task FidDigits_HeunSteps_OrdersFourAboveSixAboveEightAboveSixtyFourBeyondTheSeedSpread()
    {
        var outDirectory = Path.Combine(Path.GetTempPath(), $"orleansflow-order-{Guid.NewGuid():N}");
        try
        {
            FidTableRow[] rows =
            [
                new("Heun 4", "digits-rf", "heun:steps=4"), new("Heun 6", "digits-rf", "heun:steps=6"),
                new("Heun 8", "digits-rf", "heun:steps=8"), new("Heun 64", "digits-rf", "heun:steps=64"),
            ];
            var options = new FidTableOptions(
                FidTableDataSet.Digits, DigitsModels.Directory, Samples: FidSamples, Seed: 30, BatchSize: 250, Workers: 2, Threads: 1, Guidance: 1, Repeats: 3, TrajectorySamples: 50, outDirectory, rows);
            var report = await new FidTable(options, TextWriter.Null).RunAsync(null, CancellationToken.None);
            var (heun4, heun6, heun8, heun64) = (report.Rows[0], report.Rows[1], report.Rows[2], report.Rows[3]);
            var text = DigitsModels.DescribeFid(report);

            Assert.True(heun6.Fid.ClearlyBelow(heun4.Fid), text);
            Assert.True(heun8.Fid.ClearlyBelow(heun6.Fid), text);
            Assert.True(heun64.Fid.ClearlyBelow(heun8.Fid), text);
        }
        finally
        {
            if (Directory.Exists(outDirectory))
            {
                Directory.Delete(outDirectory, recursive: true);
            }
        }
    }

    private const int FidSamples = 1000;

    private static JobSpec Spec(string sampler, long seed) => DigitsModels.FidSpec("digits-rf", sampler, samples: 200, seed);

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
