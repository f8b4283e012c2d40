using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Statistics;
using OrleansFlow.Torch;

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
        ShardMetrics = spec.Kind == JobKind.Fid ? EvaluationPlan.ForShards(spec, features.Layout) : EvaluationMetric.None;
        Metrics = reference is null ? EvaluationMetric.None : EvaluationPlan.Resolve(spec, features.Layout, reference);
        // Reflow pairs stay in the sampler's (latent) space; FID and generation see decoded samples.
        Generator = new BatchGenerator(model, SamplerFactory.Create(spec.Sampler), labels, spec.Seed, spec.Guidance, decode: spec.Kind != JobKind.Reflow);
        Shards = ShardRange.Plan(spec);
    }

    public JobSpec Spec { get; }

    public IFlowModel Model { get; }

    public LabelPolicy Labels { get; }

    public IFeatureExtractor Features { get; }

    public FidReference? Reference { get; }

    public BatchGenerator Generator { get; }

    /// <summary>What each shard of an fid job records (decided without the reference).</summary>
    public EvaluationMetric ShardMetrics { get; }

    /// <summary>What the finaliser reports; none when the reference was not resolved.</summary>
    public EvaluationMetric Metrics { get; }

    public IReadOnlyList<ShardRange> Shards { get; }

    /// <summary>The shape of the samples the job's outputs see: decoded images, or the model's samples.</summary>
    public Ids.Resolution SampleShape => Generator.SampleShape;

    private static IFeatureExtractor ResolveFeatures(JobSpec spec, IFlowModel model)
    {
        var shape = SampleShapeOf(spec, model);
        var path = spec.Features ?? (spec.Kind == JobKind.Fid ? (model as TorchFlowModel)?.Package.Features : null);
        if (path is null)
        {
            return new IdentityFeatures(shape.Elements);
        }

        if (!File.Exists(path))
        {
            throw new SpecException("features", $"'{path}' does not exist");
        }

        try
        {
            return TorchFeatureExtractor.Shared(path, shape);
        }
        catch (TorchException e)
        {
            throw new SpecException("features", e.Message);
        }
    }

    private static Ids.Resolution SampleShapeOf(JobSpec spec, IFlowModel model) =>
        spec.Kind != JobKind.Reflow && model.Decoder is { } decoder ? decoder.OutputShape : model.Info.Shape;

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

        var features = ResolveFeatures(spec, model);
        var reference = spec.Kind == JobKind.Fid && resolveReference ? FidReference.Resolve(spec.Reference, model, labels, features, SampleShapeOf(spec, model)) : null;
        return new ResolvedJob(spec, model, labels, features, reference);
    }
}
