namespace OrleansFlow.Statistics;

/// <summary>
/// Features are the flattened samples themselves: FID then compares the raw sample distribution,
/// which for the analytic Gaussian-mixture model has exactly known moments.
/// </summary>
public sealed class IdentityFeatures : IFeatureExtractor
{
    public IdentityFeatures(int sampleSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleSize);
        Dimension = sampleSize;
    }

    public int Dimension { get; }

    public string Name => "identity";

    public string Preprocessing => "none: the flattened float32 sample (C×H×W, values as generated) is the feature vector";

    public void Extract(ReadOnlySpan<float> samples, int count, Span<float> features)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long length = (long)count * Dimension;
        if (samples.Length != length || features.Length != length)
        {
            throw new ArgumentException(
                $"{count} samples of {Dimension} values need {length} floats in and out; got {samples.Length} and {features.Length}.");
        }

        samples.CopyTo(features);
    }
}
