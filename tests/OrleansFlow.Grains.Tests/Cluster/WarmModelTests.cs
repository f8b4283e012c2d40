using OrleansFlow.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Tensors;

namespace OrleansFlow.Grains.Tests.Cluster;

public class WarmModelTests
{
    [Theory]
    [InlineData(1.0, 250, 1000, new[] { 250 })]
    [InlineData(2.5, 250, 1000, new[] { 250, 500 })]
    [InlineData(1.0, 250, 100, new[] { 100 })]
    public void WarmFor_Job_WarmsTheBatchShapesItsShardsWillRun(double guidance, int batch, int shard, int[] expected)
    {
        var model = new WarmRecordingModel(GmmDemo.Create());
        var warmModel = new WarmModel(model, TimeSpan.Zero, TimeProvider.System);
        var spec = new JobSpec { Kind = JobKind.Fid, Model = GmmDemo.Name, Sampler = SamplerSpec.Euler(1), Samples = 5000, BatchSize = batch, ShardSize = shard, Guidance = guidance };

        warmModel.WarmFor(spec);

        Assert.Equal(expected, model.Warmed);
    }

    private sealed class WarmRecordingModel(IFlowModel inner) : IFlowModel, IWarmable
    {
        public List<int> Warmed { get; } = [];

        public ModelInfo Info => inner.Info;

        public ITensorBackend Backend => inner.Backend;

        public IVelocityRefiner? Refiner => inner.Refiner;

        public ITensor Velocity(ITensor x, double t, ReadOnlySpan<int> labels) => inner.Velocity(x, t, labels);

        public IReadOnlyList<WarmupLatency> WarmUp(IEnumerable<int> batchSizes, int runs = 3)
        {
            Warmed.AddRange(batchSizes);
            return [.. batchSizes.Select(b => new WarmupLatency(b, 1, 1))];
        }
    }
}
