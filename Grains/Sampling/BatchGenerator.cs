using OrleansFlow.Models;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Sampling;

/// <summary>
/// Turns a range of sample indices into samples: noise and labels from (seed, index), one sampler run
/// on the model's backend, results copied back to the host. With <paramref name="decode"/> and a model
/// that has a decoder, the samples are the decoded images (the noise stays in the sampler's space).
/// </summary>
public sealed class BatchGenerator(IFlowModel model, IFlowSampler sampler, LabelPolicy labels, long seed, double guidance, bool decode = false)
{
    private readonly SampleNoise _noise = new(seed);

    public IFlowModel Model => model;

    public SamplerSpec Sampler => sampler.Spec;

    public LabelPolicy Labels => labels;

    /// <summary>The shape of the samples this generator returns (decoded or not).</summary>
    public Ids.Resolution SampleShape => decode && model.Decoder is { } decoder ? decoder.OutputShape : model.Info.Shape;

    public SampleBatch Generate(long start, int count, CancellationToken cancellationToken = default)
    {
        var shape = model.Info.Shape;
        var noise = new float[count * shape.Elements];
        for (var i = 0; i < count; i++)
        {
            _noise.Fill(start + i, noise.AsSpan(i * shape.Elements, shape.Elements));
        }

        var modelLabels = new int[model.Info.IsConditional ? count : 0];
        labels.Fill(_noise, start, modelLabels);
        var velocity = new GuidedVelocity(model, modelLabels, guidance, cancellationToken);
        var sampleShape = SampleShape;
        var samples = new float[count * sampleShape.Elements];
        using (var x0 = model.Backend.Upload(noise, count, shape))
        using (var x1 = sampler.Sample(x0, velocity))
        {
            if (decode && model.Decoder is { } decoder)
            {
                using var images = decoder.Decode(x1);
                model.Backend.Download(images, samples);
            }
            else
            {
                model.Backend.Download(x1, samples);
            }
        }

        OrleansFlowMetrics.RecordBatch(model.Info.Name, count, velocity.Nfe.Predictor, velocity.Nfe.Refiner);
        return new SampleBatch(start, count, sampleShape, noise, samples, labels.IsConditional ? modelLabels : [], velocity.Nfe);
    }
}
