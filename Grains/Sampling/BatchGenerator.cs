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

    public double Guidance => guidance;

    public bool Decodes => decode && model.Decoder is not null;

    /// <summary>The shape of the samples this generator returns (decoded or not).</summary>
    public Ids.Resolution SampleShape => decode && model.Decoder is { } decoder ? decoder.OutputShape : model.Info.Shape;

    public SampleBatch Generate(long start, int count, CancellationToken cancellationToken = default)
    {
        var (noise, modelLabels) = Inputs(start, count);
        var (samples, nfe) = Run(noise, modelLabels, count, cancellationToken);
        OrleansFlowMetrics.RecordBatch(model.Info.Name, count, nfe.Predictor, nfe.Refiner);
        return new SampleBatch(start, count, SampleShape, noise, samples, labels.IsConditional ? modelLabels : [], nfe);
    }

    /// <summary>
    /// The noise (count × elements) and model labels (count, empty for an unconditional model) of samples
    /// [start, start + count): functions of (seed, index) only.
    /// </summary>
    public (float[] Noise, int[] Labels) Inputs(long start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var elements = model.Info.Shape.Elements;
        // checked: a count that would overflow the array length fails here instead of allocating a wrapped size.
        var noise = new float[checked(count * elements)];
        for (var i = 0; i < count; i++)
        {
            _noise.Fill(start + i, noise.AsSpan(i * elements, elements));
        }

        var modelLabels = new int[model.Info.IsConditional ? count : 0];
        labels.Fill(_noise, start, modelLabels);
        return (noise, modelLabels);
    }

    /// <summary>
    /// One sampler run over <paramref name="count"/> rows of noise with their model labels; the rows may
    /// come from several generators of the same model, sampler and guidance (the generate batcher).
    /// </summary>
    public (float[] Samples, NfeCount Nfe) Run(float[] noise, int[] modelLabels, int count, CancellationToken cancellationToken = default)
    {
        var shape = model.Info.Shape;
        var velocity = new GuidedVelocity(model, modelLabels, guidance, cancellationToken);
        var samples = new float[checked(count * SampleShape.Elements)];
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

        return (samples, velocity.Nfe);
    }
}
