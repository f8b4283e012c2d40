using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Tensors;

namespace OrleansFlow.Grains.Tests.Models;

public class GaussianMixtureFlowTests
{
    private const string TwoComponents = """
        {"shape":[1,1,2], "weights":[0.25,0.75], "means":[[1,0],[-2,1]], "stds":[0.5,0.2], "classes":[0,1]}
        """;

    [Fact]
    public void Velocity_AtTimeZero_IsMixtureMeanMinusX()
    {
        // At t = 0: σ² = 1, a = −1, and r_k = π_k, so v = Σ π_k μ_k − x.
        var flow = GaussianMixtureJson.Parse(TwoComponents, "two");
        using var x = new CpuTensor([0.3f, -0.4f], 1, flow.Info.Shape);

        using var v = (CpuTensor)flow.Velocity(x, 0, [flow.Info.NullClass]);

        Assert.Equal(0.25 * 1 + 0.75 * -2 - 0.3, v.Data[0], 6);
        Assert.Equal(0.25 * 0 + 0.75 * 1 + 0.4, v.Data[1], 6);
    }

    [Fact]
    public void Velocity_ConditionedOnClass_UsesThatComponentOnly()
    {
        // One component: v = μ + a(t)·(x − tμ), a = (t s² − (1 − t)) / ((1 − t)² + t² s²).
        var flow = GaussianMixtureJson.Parse(TwoComponents, "two");
        using var x = new CpuTensor([0.3f, -0.4f], 1, flow.Info.Shape);
        const double t = 0.6, s = 0.2;
        var a = (t * s * s - (1 - t)) / ((1 - t) * (1 - t) + t * t * s * s);

        using var v = (CpuTensor)flow.Velocity(x, t, [1]);

        Assert.Equal(-2 + a * (0.3 - t * -2), v.Data[0], 5);
        Assert.Equal(1 + a * (-0.4 - t * 1), v.Data[1], 5);
    }

    [Fact]
    public void Moments_ClassesUniform_ReweightsComponentsPerClass()
    {
        var flow = GaussianMixtureJson.Parse(TwoComponents, "two");
        var policy = new LabelPolicy(LabelMode.Random, 0, 2, 2);

        var (mean, covariance) = flow.Moments(flow.TargetWeights(policy));

        // Uniform classes: each component weighs 1/2 whatever its π.
        Assert.Equal(0.5 * 1 + 0.5 * -2, mean[0], 12);
        Assert.Equal(0.5 * 0.25 + 0.5 * 0.04 + 0.5 * 1 + 0.5 * 4 - 0.25, covariance[0], 12);
    }

    [Fact]
    public void Sampling_FineHeun_MatchesExactMomentsOfTheClass()
    {
        var flow = GmmDemo.Create();
        var policy = new LabelPolicy(LabelMode.Fixed, 4, flow.Info.ClassCount, flow.Info.NullClass);
        var generator = new BatchGenerator(flow, SamplerFactory.Create(SamplerSpec.Heun(64)), policy, seed: 9, guidance: 1);

        var batch = generator.Generate(0, 2000);

        // Class 4: mean μ_4, std s_4 = 0.15 + 0.015·4 = 0.21 in every element.
        var mu = flow.Components[4].Mean;
        var d = flow.Info.Shape.Elements;
        double meanError = 0, variance = 0;
        for (var j = 0; j < d; j++)
        {
            var column = Enumerable.Range(0, batch.Count).Select(i => (double)batch.Samples[i * d + j]).ToArray();
            var m = column.Average();
            meanError = Math.Max(meanError, Math.Abs(m - mu[j]));
            variance += column.Sum(v => (v - m) * (v - m)) / (batch.Count - 1) / d;
        }

        Assert.True(meanError < 0.03, $"largest mean error {meanError}");
        Assert.Equal(0.21 * 0.21, variance, 3);
    }

    [Theory]
    [InlineData("""{"shape":[1,1,2], "weights":[1], "means":[[1]], "stds":[0.5]}""", "means[0] must have 2 values")]
    [InlineData("""{"shape":[1,1,2], "weights":[0], "means":[[1,2]], "stds":[0.5]}""", "weights[0] must be > 0")]
    [InlineData("""{"shape":[1,1,2], "weights":[1], "means":[[1,2]], "stds":[-1]}""", "stds[0] must be > 0")]
    [InlineData("""{"shape":[2,2], "weights":[1], "means":[[1,2]], "stds":[1]}""", "'shape' must be [C,H,W]")]
    [InlineData("""{"shape":[1,1,2], "weights":[1,1], "means":[[1,2]], "stds":[1,1]}""", "'means' must have 2 entries")]
    [InlineData("""not json""", "malformed mixture JSON")]
    public void Parse_BadMixture_ErrorNamesTheModelAndTheProblem(string json, string fragment)
    {
        var error = Assert.Throws<SpecException>(() => GaussianMixtureJson.Parse(json, "gmm:bad.json"));

        Assert.Equal("model", error.Field);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void Catalog_UnknownName_ListsWhatIsAllowed()
    {
        var error = Assert.Throws<SpecException>(() => ModelCatalog.Load("sit-xl"));

        Assert.Contains("gmm-demo", error.Message);
    }
}
