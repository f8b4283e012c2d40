using OrleansFlow.Ids;
using OrleansFlow.Sampling;
using OrleansFlow.Tensors;

namespace OrleansFlow.Torch.Tests;

/// <summary>C# on libtorch against PyTorch in Python, on the same TorchScript files.</summary>
public class GoldenTests
{
    private static readonly Resolution Shape = new(4, 8, 8);

    [Fact]
    public void Predictor_GoldenInputs_MatchesPythonWithin1e5()
    {
        var model = TinyModel.Model;
        var x = TinyModel.Floats("x");
        var t = TinyModel.Floats("t");
        var labels = TinyModel.Labels("labels");
        var expected = TinyModel.Floats("v");
        // One call per sample: each sample of the golden batch has its own time.
        for (var i = 0; i < t.Length; i++)
        {
            var actual = Velocity(model, x.AsSpan(i * Shape.Elements, Shape.Elements), t[i], labels[i]);
            TinyModel.AssertClose(expected.AsSpan(i * Shape.Elements, Shape.Elements), actual, 1e-5);
        }
    }

    [Fact]
    public void Refiner_GoldenInputs_MatchesPythonWithin1e5()
    {
        var model = TinyModel.Model;
        var backend = model.Backend;
        var (x, t, u, labels, expected) = (TinyModel.Floats("x"), TinyModel.Floats("t"), TinyModel.Floats("u"), TinyModel.Labels("labels"), TinyModel.Floats("r"));
        for (var i = 0; i < t.Length; i++)
        {
            using var xi = backend.Upload(x.AsSpan(i * Shape.Elements, Shape.Elements), 1, Shape);
            using var ui = backend.Upload(u.AsSpan(i * Shape.Elements, Shape.Elements), 1, Shape);
            using var r = model.Refiner!.Refine(xi, t[i], ui, [labels[i]]);
            var actual = new float[Shape.Elements];
            backend.Download(r, actual);
            TinyModel.AssertClose(expected.AsSpan(i * Shape.Elements, Shape.Elements), actual, 1e-5);
        }
    }

    [Fact]
    public void Decoder_GoldenLatents_MatchesPythonWithin1e5()
    {
        var model = TinyModel.Model;
        var x = TinyModel.Floats("x");
        var batch = x.Length / Shape.Elements;
        using var latents = model.Backend.Upload(x, batch, Shape);
        using var images = model.Decoder!.Decode(latents);
        var actual = new float[batch * model.OutputShape.Elements];
        model.Backend.Download(images, actual);
        Assert.Equal(new Resolution(3, 16, 16), images.Shape);
        TinyModel.AssertClose(TinyModel.Floats("decoded"), actual, 1e-5);
    }

    [Theory]
    [InlineData("heun:steps=4", "heun4", 1.0)]
    [InlineData("euler:steps=6", "euler6", 1.0)]
    [InlineData("flowturbo:h=2,p=2,r=2", "flowturbo_h2p2r2", 1.0)]
    [InlineData("flowturbo:h=0,p=1,r=2", "flowturbo_h0p1r2", 1.0)]
    [InlineData("flowturbo:h=1,p=1,r=1", "flowturbo_h1p1r1_cfg2", 2.0)]
    public void Sampler_SameNoiseAndLabels_MatchesPythonTrajectory(string sampler, string key, double guidance)
    {
        var model = TinyModel.Model;
        var x0 = TinyModel.Floats("x0");
        var labels = TinyModel.Labels("x0_labels");
        var actual = Sample(model, SamplerSpec.Parse(sampler), x0, labels, guidance);
        TinyModel.AssertClose(TinyModel.Floats(key), actual, 1e-5);
    }

    [Theory]
    [InlineData("rectifiedflow", 0.5, 499.5)]
    [InlineData("instaflow", 0.25, 750.0)]
    public void TimeConvention_DeclaredInManifest_CallsModelAtAdaptedTime(string convention, double t, double modelTime)
    {
        var directory = TinyModel.CopyPackage(json => json.Replace("\"time_convention\": \"sit\"", $"\"time_convention\": \"{convention}\"", StringComparison.Ordinal));
        try
        {
            using var adapted = TorchFlowModel.Load(directory);
            var x = TinyModel.Floats("x").AsSpan(0, Shape.Elements);
            Assert.Equal(Velocity(TinyModel.Model, x, modelTime, 3), Velocity(adapted, x, t, 3));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    internal static float[] Sample(TorchFlowModel model, SamplerSpec spec, float[] x0, int[] labels, double guidance)
    {
        var batch = labels.Length;
        using var noise = model.Backend.Upload(x0, batch, Shape);
        using var x1 = SamplerFactory.Create(spec).Sample(noise, new GuidedVelocity(model, labels, guidance));
        var result = new float[x0.Length];
        model.Backend.Download(x1, result);
        return result;
    }

    private static float[] Velocity(TorchFlowModel model, ReadOnlySpan<float> x, double t, int label)
    {
        using var input = model.Backend.Upload(x, 1, Shape);
        using ITensor v = model.Velocity(input, t, [label]);
        var result = new float[Shape.Elements];
        model.Backend.Download(v, result);
        return result;
    }
}
