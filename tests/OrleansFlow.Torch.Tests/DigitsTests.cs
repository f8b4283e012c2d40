using System.Text.Json;
using OrleansFlow.Client;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// The shipped digits models generate what they are asked for: samples of a requested class that the
/// shipped classifier (a separate network) recognises as that class, through the same job machinery
/// as the CLI; and the README's main job (fid-table) runs end to end.
/// </summary>
public class DigitsTests
{
    private const int PerClass = 40;
    private const double Required = 0.7;

    public static TheoryData<string, string> Packages => new()
    {
        { "digits-rf", "heun:steps=8" },
        { "digits-rf", "flowturbo:h=1,p=3,r=2" },
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
                ["fid-table", "--models", DigitsModels.Directory, "--samples", "60", "--batch-size", "30", "--out", outDirectory, "--quiet"], output, error);

            Assert.True(code == ExitCodes.Success, error.ToString());
            var text = output.ToString();
            foreach (var row in new[] { "Euler 4", "Heun 8", "FlowTurbo H1P3R2", "1-rectified one-step", "2-rectified one-step", "distilled one-step" })
            {
                Assert.Contains(row, text, StringComparison.Ordinal);
            }

            using var table = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(outDirectory, "table.json")));
            var rows = table.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.True(rows.Count >= 10);
            Assert.All(rows, r => Assert.True(double.IsFinite(r.GetProperty("fid").GetDouble()) && r.GetProperty("msPerSample").GetDouble() > 0));
            var turbo = rows.Single(r => r.GetProperty("row").GetProperty("name").GetString() == "FlowTurbo H1P3R2");
            Assert.Equal((5, 4), (turbo.GetProperty("predictorNfe").GetInt64(), turbo.GetProperty("refinerNfe").GetInt64()));
        }
        finally
        {
            if (Directory.Exists(outDirectory))
            {
                Directory.Delete(outDirectory, recursive: true);
            }
        }
    }

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
