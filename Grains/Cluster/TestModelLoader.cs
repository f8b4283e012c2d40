using OrleansFlow.Jobs;
using OrleansFlow.Models;

namespace OrleansFlow.Cluster;

/// <summary>
/// A silo's loader with the test devices added: <c>sleep-MS</c> (<see cref="SleepFlowModel"/>) loads
/// here, every other name goes to <paramref name="inner"/>. Registered only when the silo's
/// <c>TestModels</c> setting is on (benches and tests; never in production).
/// </summary>
public sealed class TestModelLoader(IModelLoader inner) : IModelLoader
{
    public IFlowModel Load(string model) =>
        SleepFlowModel.TryCreate(model, out var sleep) ? sleep! : inner.Load(model);

    public JobSpec Localize(JobSpec spec) => inner.Localize(spec);

    public JobSummary InNames(JobSummary summary, JobSpec submitted) => inner.InNames(summary, submitted);
}
