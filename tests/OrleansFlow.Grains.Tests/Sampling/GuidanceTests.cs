using OrleansFlow.Ids;
using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Tensors;

namespace OrleansFlow.Grains.Tests.Sampling;

public class GuidanceTests
{
    [Fact]
    public void Predict_GuidanceScale_OneBatchedCallGivesUncondPlusScaledDifference()
    {
        var model = new CallCountingModel(SamplerTestKit.Demo);
        var noise = new float[4 * model.Info.Shape.Elements];
        new SampleNoise(1).Fill(0, noise);
        int[] labels = [3, 1, 4, 1];
        using var x = new CpuTensor(noise, 4, model.Info.Shape);

        using var guided = (CpuTensor)new GuidedVelocity(model, labels, 2.5).Predict(x, 0.3);

        Assert.Equal([8], model.BatchSizes);
        using var conditional = (CpuTensor)SamplerTestKit.Demo.Velocity(x, 0.3, labels);
        using var unconditional = (CpuTensor)SamplerTestKit.Demo.Velocity(x, 0.3, [10, 10, 10, 10]);
        for (var i = 0; i < noise.Length; i++)
        {
            var expected = unconditional.Data[i] + 2.5 * (conditional.Data[i] - unconditional.Data[i]);
            Assert.True(Math.Abs(expected - guided.Data[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{expected} vs {guided.Data[i]}");
        }
    }

    [Fact]
    public void Predict_ScaleOne_SingleConditionalCall()
    {
        var model = new CallCountingModel(SamplerTestKit.Demo);
        using var x = new CpuTensor(new float[2 * model.Info.Shape.Elements], 2, model.Info.Shape);

        using var _ = new GuidedVelocity(model, [1, 2], 1).Predict(x, 0.5);

        Assert.Equal([2], model.BatchSizes);
    }

    [Fact]
    public void Generate_GuidedSampling_DiffersFromUnguidedAndCountsOneCallPerEvaluation()
    {
        var guided = SamplerTestKit.Generator("heun:steps=4", guidance: 3).Generate(0, 8);
        var plain = SamplerTestKit.Generator("heun:steps=4").Generate(0, 8);

        Assert.Equal(new NfeCount(8, 0), guided.Nfe);
        Assert.NotEqual(plain.Samples, guided.Samples);
    }

    private sealed class CallCountingModel(IFlowModel inner) : IFlowModel
    {
        public List<int> BatchSizes { get; } = [];

        public ModelInfo Info => inner.Info;

        public ITensorBackend Backend => inner.Backend;

        public IVelocityRefiner? Refiner => inner.Refiner;

        public ITensor Velocity(ITensor x, double t, ReadOnlySpan<int> labels)
        {
            BatchSizes.Add(x.Batch);
            return inner.Velocity(x, t, labels);
        }
    }
}
