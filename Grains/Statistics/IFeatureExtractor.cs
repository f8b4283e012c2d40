namespace OrleansFlow.Statistics;

/// <summary>
/// Maps generated samples to the feature vectors whose Gaussian statistics FID compares, and, for a
/// network that has them, to the spatial features and class logits of sFID and the Inception Score.
/// </summary>
public interface IFeatureExtractor
{
    /// <summary>Features per sample (2048 for Inception pool_3).</summary>
    int Dimension { get; }

    /// <summary>Short name recorded with the statistics, e.g. "identity" or "inception-v3-pool3".</summary>
    string Name { get; }

    /// <summary>How samples are turned into the extractor's input, recorded with every FID.</summary>
    string Preprocessing { get; }

    /// <summary>
    /// Writes <paramref name="count"/> feature vectors of <see cref="Dimension"/> floats, row-major,
    /// into <paramref name="features"/> for <paramref name="count"/> flattened samples.
    /// </summary>
    void Extract(ReadOnlySpan<float> samples, int count, Span<float> features);

    /// <summary>
    /// The network file whose bytes decide the features (what <see cref="Jobs.ReferenceFeatureCache"/>
    /// keys cached reference features by); null for a built-in extractor, which <see cref="Name"/> and
    /// <see cref="Preprocessing"/> describe completely.
    /// </summary>
    string? NetworkFile => null;

    /// <summary>Where the network runs (e.g. <c>cpu</c>, <c>cuda</c>): the same file can round differently on another device.</summary>
    string? NetworkDevice => null;

    /// <summary>The outputs of the network; pooled features only unless it declares more.</summary>
    FeatureLayout Layout => new(Dimension, 0, 0);

    /// <summary>Writes one row of <see cref="Layout"/>.Width floats per sample: pooled | spatial | logits.</summary>
    void ExtractAll(ReadOnlySpan<float> samples, int count, Span<float> rows) => Extract(samples, count, rows);
}
