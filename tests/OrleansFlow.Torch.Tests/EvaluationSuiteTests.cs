using System.Text.Json;
using OrleansFlow.Client;
using OrleansFlow.Formats;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Statistics;
using OrleansFlow.Testing;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// The evaluation suite on real libtorch: the digits three-output network, and an fid job that
/// reports FID, sFID, IS, precision/recall and KID, checked against tools/eval_reference.py run on
/// the same features.
/// </summary>
public sealed class EvaluationSuiteTests : IDisposable
{
    private static readonly Resolution Digit = new(1, 8, 8);
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void EvalNetwork_DigitsEval_ReadsPoolSpatialAndLogitsMatchingTheSingleOutputNetworks()
    {
        using var model = TorchFlowModel.Load(DigitsModels.Package("digits-rf"));
        using var evaluation = TorchFeatureExtractor.Load(DigitsModels.Evaluation, Digit);
        using var features = TorchFeatureExtractor.Load(DigitsModels.Features, Digit);
        using var classifier = TorchFeatureExtractor.Load(DigitsModels.Classifier, Digit);
        var spec = new JobSpec { Kind = JobKind.Generate, Model = "digits-rf", Sampler = Sampling.SamplerSpec.Parse("heun:steps=4"), Samples = 24, Seed = 3 };
        var samples = ResolvedJob.Create(spec, model).Generator.Generate(0, 24).Samples;

        var layout = ((IFeatureExtractor)evaluation).Layout;
        var rows = new float[24 * layout.Width];
        evaluation.ExtractAll(samples, 24, rows);
        var pool = new float[24 * 64];
        features.Extract(samples, 24, pool);
        var logits = new float[24 * 10];
        classifier.Extract(samples, 24, logits);

        Assert.Equal(new FeatureLayout(64, 112, 10), layout);
        Assert.Equal(64, evaluation.Dimension);
        for (var i = 0; i < 24; i++)
        {
            var row = rows.AsSpan(i * layout.Width, layout.Width);
            AssertClose(pool.AsSpan(i * 64, 64), layout.PoolOf(row), $"sample {i} pool");
            AssertClose(logits.AsSpan(i * 10, 10), layout.LogitsOf(row), $"sample {i} logits");
            Assert.True(layout.SpatialOf(row).ToArray().Any(v => v > 0), $"sample {i}: spatial features are all zero");
        }

        // Extract (FID's pooled features alone) gives the pool columns.
        var pooled = new float[24 * 64];
        evaluation.Extract(samples, 24, pooled);
        AssertClose(pool, pooled, "Extract");
    }

    [NumpyFact]
    public async Task FidJob_DigitsSuite_ReportsAllFiveMetricsAsTheReferenceScriptComputesThem()
    {
        const int Samples = 400, ShardSize = 150, BatchSize = 50;
        const long Seed = 5;
        var output = _temp.Combine("suite");
        var (code, stdout, stderr) = await RunCliAsync(
            "fid", "--model", DigitsModels.Package("digits-rf"), "--sampler", "heun:steps=4", "--samples", $"{Samples}", "--shard-size", $"{ShardSize}",
            "--batch-size", $"{BatchSize}", "--seed", $"{Seed}", "--features", DigitsModels.Evaluation, "--reference", DigitsModels.ReferenceBatch,
            "--metrics", "fid,sfid,is,prc,kid", "--images", "npz", "--out", output, "--quiet");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("sFID", stdout, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(output, "summary.json")));
        var evaluation = summary.RootElement.GetProperty("evaluation");
        Assert.Equal(["fid", "sfid", "is", "prc", "kid"], evaluation.GetProperty("metrics").EnumerateArray().Select(e => e.GetString()));

        // The job's images through the same extractor in the job's batches: the features the job saw
        // (checked against the pooled features its shards stored), written for the reference script.
        using var network = TorchFeatureExtractor.Load(DigitsModels.Evaluation, Digit);
        var layout = ((IFeatureExtractor)network).Layout;
        var images = ReferenceBatch.Read(Path.Combine(output, "samples.npz")).ToSamples(Digit);
        var rows = new float[Samples * layout.Width];
        for (var start = 0; start < Samples; start += BatchSize)
        {
            network.ExtractAll(images.AsSpan(start * 64, BatchSize * 64), BatchSize, rows.AsSpan(start * layout.Width, BatchSize * layout.Width));
        }

        var (pool, spatial, logits) = (Columns(rows, layout, 0, layout.Pool), Columns(rows, layout, layout.Pool, layout.Spatial), Columns(rows, layout, layout.Pool + layout.Spatial, layout.Logits));
        var stored = Enumerable.Range(0, 3).SelectMany(s => NpzReader.Read(Path.Combine(output, "shards", $"{s:D5}.npz"))["pool"].ToSingleArray()).ToArray();
        Assert.Equal(pool, stored);

        var reference = ReferenceBatch.Read(DigitsModels.ReferenceBatch);
        var referenceRows = new float[reference.Count * layout.Width];
        network.ExtractAll(reference.ToSamples(Digit), reference.Count, referenceRows);
        var features = _temp.Combine("features.npz");
        using (var writer = new NpzWriter(features))
        {
            writer.Write("gen_pool", pool, Samples, layout.Pool);
            writer.Write("gen_spatial", spatial, Samples, layout.Spatial);
            writer.Write("gen_logits", logits, Samples, layout.Logits);
            writer.Write("ref_pool", Columns(referenceRows, layout, 0, layout.Pool), reference.Count, layout.Pool);
            writer.Write("mu", reference.Pool!.Mu, layout.Pool);
            writer.Write("sigma", reference.Pool.Sigma, layout.Pool, layout.Pool);
            writer.Write("mu_s", reference.Spatial!.Mu, layout.Spatial);
            writer.Write("sigma_s", reference.Spatial.Sigma, layout.Spatial, layout.Spatial);
        }

        var expected = await DebianPython.RunJsonAsync(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            Path.Combine(DigitsModels.Directory, "..", "tools", "eval_reference.py"), features, "--seed", $"{Seed}");

        AssertRelative(expected.GetProperty("fid").GetDouble(), summary.RootElement.GetProperty("fid").GetDouble(), "FID");
        AssertRelative(expected.GetProperty("sfid").GetDouble(), evaluation.GetProperty("sfid").GetDouble(), "sFID");
        AssertRelative(expected.GetProperty("is").GetProperty("mean").GetDouble(), evaluation.GetProperty("inceptionScore").GetDouble(), "IS");
        AssertRelative(expected.GetProperty("kid").GetProperty("mean").GetDouble(), evaluation.GetProperty("kid").GetDouble(), "KID");
        AssertRelative(expected.GetProperty("kid").GetProperty("std").GetDouble(), evaluation.GetProperty("kidSpread").GetProperty("std").GetDouble(), "KID std");
        var counts = evaluation.GetProperty("precisionRecallCounts");
        Assert.Equal(expected.GetProperty("prc").GetProperty("generatedInside").GetInt64(), counts.GetProperty("generatedInside").GetInt64());
        Assert.Equal(expected.GetProperty("prc").GetProperty("referenceInside").GetInt64(), counts.GetProperty("referenceInside").GetInt64());

        // A trained model on its own data: most samples are inside the real manifold, and the metrics are finite and sane.
        Assert.InRange(evaluation.GetProperty("precision").GetDouble(), 0.3, 1.0);
        Assert.InRange(evaluation.GetProperty("inceptionScore").GetDouble(), 2.0, 10.0);
        Assert.Equal(3, evaluation.GetProperty("fidSpread").GetProperty("parts").GetInt32());
    }

    [Fact]
    public async Task FidJob_StatisticsOnlyReference_DefaultsToFidAndIsAndRejectsKid()
    {
        var output = _temp.Combine("default");
        var common = new[]
        {
            "fid", "--model", DigitsModels.Package("digits-rf"), "--sampler", "euler:steps=2", "--samples", "60", "--shard-size", "30",
            "--features", DigitsModels.Evaluation, "--reference", DigitsModels.Reference, "--quiet",
        };
        var (code, _, stderr) = await RunCliAsync([.. common, "--out", output]);
        Assert.True(code == ExitCodes.Success, stderr);
        using var summary = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(output, "summary.json")));
        Assert.Equal(["fid", "is"], summary.RootElement.GetProperty("evaluation").GetProperty("metrics").EnumerateArray().Select(e => e.GetString()));

        var rejected = _temp.Combine("rejected");
        (code, _, stderr) = await RunCliAsync([.. common, "--metrics", "fid,kid", "--out", rejected]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("orleansflow: --metrics: kid not available", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(rejected), "a rejected job wrote its output directory");
    }

    private static async Task<(int Code, string Output, string Error)> RunCliAsync(params string[] arguments)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Cli.RunAsync(arguments, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static float[] Columns(float[] rows, FeatureLayout layout, int offset, int width)
    {
        var count = rows.Length / layout.Width;
        var columns = new float[count * width];
        for (var i = 0; i < count; i++)
        {
            rows.AsSpan((i * layout.Width) + offset, width).CopyTo(columns.AsSpan(i * width));
        }

        return columns;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"{what}[{i}]: {actual[i]} vs {expected[i]}");
        }
    }

    private static void AssertRelative(double expected, double actual, string what)
    {
        var error = Math.Abs(actual - expected) / Math.Abs(expected);
        Assert.True(error <= 1e-6, $"{what}: {actual:R} vs reference script {expected:R} (relative error {error:G3})");
    }
}
