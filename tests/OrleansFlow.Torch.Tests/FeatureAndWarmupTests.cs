using System.Diagnostics.Metrics;
using OrleansFlow.Ids;
using OrleansFlow.Models;
using OrleansFlow.Telemetry;

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

    [Fact]
    public void WarmUp_TwoCallersAtOnce_WarmTheBatchSizeOnce()
    {
        // A job's prepare and its first shard can warm a silo's model at once: the second must wait, not warm again.
        // The warm-up metric is tagged with the model's name: one no other test loads.
        var name = $"warm-once-{Guid.NewGuid():N}";
        var package = TinyModel.CopyPackage(json => json.Replace("\"name\": \"tiny-sit\"", $"\"name\": \"{name}\"", StringComparison.Ordinal));
        using var model = TorchFlowModel.Load(package);
        Assert.Equal(name, model.Info.Name);
        var warmUps = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument == OrleansFlowMetrics.ModelWarmupDuration)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "model", Value: string model } && model == name)
                {
                    Interlocked.Increment(ref warmUps);
                }
            }
        });
        listener.Start();
        using var together = new Barrier(2);

        var latencies = new WarmupLatency[2];
        var callers = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            together.SignalAndWait();
            latencies[i] = model.WarmUp([8]).Single();
        })).ToList();
        callers.ForEach(t => t.Start());
        callers.ForEach(t => t.Join());

        Assert.Equal(1, warmUps);
        Assert.Same(latencies[0], latencies[1]);
        Assert.Single(model.Warmed);
    }
}
