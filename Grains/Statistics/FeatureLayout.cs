namespace OrleansFlow.Statistics;

/// <summary>
/// The columns of one sample's row from a feature network with several outputs, in this order:
/// pooled features (FID, precision/recall, KID), spatial features (sFID) and class logits (IS).
/// A network without spatial features or logits has 0 columns of them.
/// </summary>
public readonly record struct FeatureLayout(int Pool, int Spatial, int Logits)
{
    public int Width => Pool + Spatial + Logits;

    public ReadOnlySpan<float> PoolOf(ReadOnlySpan<float> row) => row[..Pool];

    public ReadOnlySpan<float> SpatialOf(ReadOnlySpan<float> row) => row.Slice(Pool, Spatial);

    public ReadOnlySpan<float> LogitsOf(ReadOnlySpan<float> row) => row.Slice(Pool + Spatial, Logits);
}
