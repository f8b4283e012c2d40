using System.Text.Json;
using OrleansFlow.Client;
using OrleansFlow.Formats;

namespace OrleansFlow.Torch.Tests;

/// <summary>The CLI end to end on the tiny package, through <see cref="Cli.RunAsync"/>.</summary>
public class CliTests
{
    [Fact]
    public async Task Generate_TinyPackage_WritesDecodedPngsAndSummary()
    {
        var outDirectory = Path.Combine(Path.GetTempPath(), $"orleansflow-gen-{Guid.NewGuid():N}");
        try
        {
            var (code, output, error) = await RunAsync(
                "generate", "--model", TinyModel.PackageDirectory, "--sampler", "flowturbo:h=1,p=1,r=2",
                "--samples", "6", "--batch-size", "4", "--shard-size", "3", "--class", "3", "--out", outDirectory, "--quiet");

            Assert.True(code == ExitCodes.Success, error);
            Assert.Contains("NFE 3 predictor + 4 refiner", output, StringComparison.Ordinal);
            var png = Png.Decode(await File.ReadAllBytesAsync(Path.Combine(outDirectory, "images", "000005.png")));
            Assert.Equal((16, 16, 3), (png.Width, png.Height, png.Channels));
            using var summary = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(outDirectory, "summary.json")));
            Assert.Equal("torch:cpu", summary.RootElement.GetProperty("backend").GetString());
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
    public async Task Fid_TinyPackageWithFeaturesAndReference_ReportsFidAndRecordsPreprocessing()
    {
        var outDirectory = Path.Combine(Path.GetTempPath(), $"orleansflow-fid-{Guid.NewGuid():N}");
        var reference = Path.Combine(Path.GetTempPath(), $"orleansflow-ref-{Guid.NewGuid():N}.npz");
        try
        {
            const int D = 64;
            var sigma = new double[D * D];
            for (var i = 0; i < D; i++)
            {
                sigma[i * D + i] = 0.01;
            }

            using (var writer = new NpzWriter(reference))
            {
                writer.Write("mu", new double[D], D);
                writer.Write("sigma", sigma, D, D);
            }

            var (code, output, error) = await RunAsync(
                "fid", "--model", TinyModel.PackageDirectory, "--sampler", "heun:steps=2", "--samples", "80",
                "--batch-size", "40", "--features", TinyModel.StandInInception, "--reference", reference, "--out", outDirectory, "--quiet");

            Assert.True(code == ExitCodes.Success, error);
            Assert.StartsWith("FID ", output, StringComparison.Ordinal);
            using var summary = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(outDirectory, "summary.json")));
            Assert.StartsWith("torchscript-inception:", summary.RootElement.GetProperty("features").GetString(), StringComparison.Ordinal);
            Assert.Contains("299x299", summary.RootElement.GetProperty("featurePreprocessing").GetString(), StringComparison.Ordinal);
            Assert.True(double.IsFinite(summary.RootElement.GetProperty("fid").GetDouble()));
        }
        finally
        {
            File.Delete(reference);
            if (Directory.Exists(outDirectory))
            {
                Directory.Delete(outDirectory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Generate_CorruptPackage_FailsWithOneLineBadInput()
    {
        var directory = TinyModel.CopyPackage();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "decoder.pt"), "not a zip archive");

            var (code, _, error) = await RunAsync("generate", "--model", directory, "--samples", "2", "--out", Path.Combine(directory, "out"), "--quiet");

            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("decoder.pt", error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Cli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
