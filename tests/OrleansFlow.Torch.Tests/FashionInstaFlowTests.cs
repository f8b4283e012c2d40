using OrleansFlow.Formats;

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
    private static readonly Lazy<IReadOnlyDictionary<string, NpyArray>> Golden =
        new(() => NpzReader.Read(Path.Combine(AppContext.BaseDirectory, "Golden", "fashion_instaflow_golden.npz")));

    [Theory]
    [InlineData("fashion-2rf")]
    [InlineData("fashion-onestep")]
    public void OneStep_SameNoiseAndLabels_MatchesFloat64ReferenceWithin2e4(string package)
    {
        using var model = TorchFlowModel.Load(DigitsModels.Package(package));
        var actual = FashionModelTests.SampleGoldenInputs(model, Golden.Value, "onestep", guidance: 1.0);

        float[] expected = [.. Golden.Value[package].ToDoubleArray().Select(v => (float)v)];
        TinyModel.AssertClose(expected, actual, Tolerance);
    }
}
