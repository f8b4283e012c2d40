using OrleansFlow.Formats;
using OrleansFlow.Ids;
using OrleansFlow.Sampling;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// InstaFlow's Fashion-MNIST packages (<c>models/fashion-2rf</c>, <c>models/fashion-onestep</c>, the main table's
/// one-step rows) on libtorch against their networks in float64: <c>tools/train_fashion_reflow.py</c> writes
/// <c>Golden/fashion_instaflow_golden.npz</c> with <c>x0 + v(x0, 0, label)</c> of each final checkpoint cast to
/// double, from the float32 noises stored beside them (those of <c>fashion_golden.npz</c>).
/// </summary>
public class FashionInstaFlowTests
{
    private const double Tolerance = 2e-4;
    private static readonly Resolution Shape = new(1, 28, 28);
    private static readonly Lazy<IReadOnlyDictionary<string, NpyArray>> Golden =
        new(() => NpzReader.Read(Path.Combine(AppContext.BaseDirectory, "Golden", "fashion_instaflow_golden.npz")));

    [Theory]
    [InlineData("fashion-2rf")]
    [InlineData("fashion-onestep")]
    public void OneStep_SameNoiseAndLabels_MatchesFloat64ReferenceWithin2e4(string package)
    {
        var x0 = Golden.Value["x0"].ToSingleArray();
        int[] labels = [.. Golden.Value["labels"].ToInt64Array().Select(l => (int)l)];
        using var model = TorchFlowModel.Load(DigitsModels.Package(package));
        Assert.Equal(Shape, model.Info.Shape);

        using var noise = model.Backend.Upload(x0, labels.Length, Shape);
        using var x1 = SamplerFactory.Create(SamplerSpec.Parse("onestep")).Sample(noise, new GuidedVelocity(model, labels, 1.0));
        var actual = new float[x0.Length];
        model.Backend.Download(x1, actual);

        float[] expected = [.. Golden.Value[package].ToDoubleArray().Select(v => (float)v)];
        TinyModel.AssertClose(expected, actual, Tolerance);
    }
}
