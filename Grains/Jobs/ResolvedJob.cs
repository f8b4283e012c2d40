using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics;

namespace OrleansFlow.Jobs;

/// <summary>
/// A validated job with everything it needs loaded: model, sampler, labels, features and reference.
/// Creating one checks every option against the model, so a bad option fails before anything is written.
/// </summary>
public sealed class ResolvedJob
{
    private ResolvedJob(JobSpec spec, IFlowModel model, LabelPolicy labels, IFeatureExtractor features, FidReference? reference)
    {
        Spec = spec;
        Model = model;
        Labels = labels;
        Features = features;
        Reference = reference;
        Generator = new BatchGenerator(model, SamplerFactory.Create(spec.Sampler), labels, spec.Seed, spec.Guidance);
        Shards = ShardRange.Plan(spec);
    }

    public JobSpec Spec { get; }

    public IFlowModel Model { get; }

    public LabelPolicy Labels { get; }

    public IFeatureExtractor Features { get; }

    public FidReference? Reference { get; }

    public BatchGenerator Generator { get; }

    public IReadOnlyList<ShardRange> Shards { get; }

    public static ResolvedJob Create(JobSpec spec) => Create(spec, ModelCatalog.Load(spec.Model));

    /// <summary>What a worker needs to run shards: everything but the FID reference (read only by the finaliser).</summary>
    public static ResolvedJob ForShards(JobSpec spec, IFlowModel model) => Create(spec, model, resolveReference: false);

    public static ResolvedJob Create(JobSpec spec, IFlowModel model, bool resolveReference = true)
    {
        spec.Validate();
        var labels = LabelPolicy.For(spec, model.Info);
        if (spec.Sampler.NeedsRefiner && model.Refiner is null)
        {
            throw new SpecException(SamplerSpec.Field, $"{model.Info.Name} has no velocity refiner: use flowturbo with r=0, heun or euler");
        }

        var features = new IdentityFeatures(model.Info.Shape.Elements);
        var reference = spec.Kind == JobKind.Fid && resolveReference ? FidReference.Resolve(spec.Reference, model, labels, features.Dimension) : null;
        return new ResolvedJob(spec, model, labels, features, reference);
    }
}
