using OrleansFlow.Ids;

namespace OrleansFlow.Sampling;

/// <summary>
/// Samples [Start, Start + Count) of a job: the noise x0, the samples x1 (both Count × Elements,
/// row-major), the label of each sample (empty when sampling is unconditional) and the evaluations spent.
/// </summary>
public sealed record SampleBatch(long Start, int Count, Resolution Shape, float[] Noise, float[] Samples, int[] Labels, NfeCount Nfe)
{
    public ReadOnlySpan<float> Sample(int i) => Samples.AsSpan(i * Shape.Elements, Shape.Elements);
}
