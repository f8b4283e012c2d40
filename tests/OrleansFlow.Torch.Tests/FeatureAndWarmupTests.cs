using OrleansFlow.Ids;

namespace OrleansFlow.Torch.Tests;

public class FeatureAndWarmupTests
{
    [Fact]
    public void Extract_Uint8Images_MatchesPytorchFidPreprocessingInPython()
    {
        // The stand-in has Inception's interface, not its weights (none are available here).
        using var features = TorchFeatureExtractor.Load(TinyModel.StandInInception, new Resolution(3, 16, 16));
        var images = TinyModel.Bytes("images_u8");
        var shape = TinyModel.Shape("images_u8");
        var (count, h, w) = (shape[0], shape[1], shape[2]);
        // Samples in [-1, 1] that the image rule quantises back to exactly these bytes.
        var samples = new float[count * 3 * h * w];
        for (var n = 0; n < count; n++)
        {
            for (var c = 0; c < 3; c++)
            {
                for (var p = 0; p < h * w; p++)
                {
                    samples[((n * 3) + c) * h * w + p] = (images[((n * h * w) + p) * 3 + c] - 127.5f) / 127.5f;
                }
            }
        }

        var actual = new float[count * features.Dimension];
        features.Extract(samples, count, actual);

        Assert.Equal(64, features.Dimension);
        TinyModel.AssertClose(TinyModel.Floats("features"), actual, 1e-5);
        Assert.Contains("bilinear", features.Preprocessing, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FeaturesFileThatIsNotAnImageNetwork_ThrowsSpecException()
    {
        var error = Assert.Throws<SpecException>(() =>
            TorchFeatureExtractor.Load(Path.Combine(TinyModel.PackageDirectory, "predictor.pt"), new Resolution(3, 16, 16)));

        Assert.Equal("features", error.Field);
    }

    [Fact]
    public void WarmUp_TwoBatchSizes_ReportsColdAndWarmLatencyForEach()
    {
        using var model = TorchFlowModel.Load(TinyModel.PackageDirectory);

        var latencies = model.WarmUp([2, 8]);

        Assert.Equal([2, 8], latencies.Select(l => l.Batch));
        Assert.All(latencies, l => Assert.True(l.ColdMilliseconds > 0 && l.WarmMilliseconds > 0));
        Assert.Equal(2, model.Warmed.Count);
    }
}
