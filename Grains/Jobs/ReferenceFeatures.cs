using OrleansFlow.Statistics;
using OrleansFlow.Statistics.Metrics;

namespace OrleansFlow.Jobs;

/// <summary>
/// The features of a reference batch's images under one feature network: pooled (KID,
/// precision/recall, FID when the file has no <c>mu</c>/<c>sigma</c>) and spatial (sFID when it has
/// no <c>mu_s</c>/<c>sigma_s</c>). Computed once and cached on disk by <see cref="ReferenceFeatureCache"/>.
/// </summary>
public sealed class ReferenceFeatures
{
    internal ReferenceFeatures(FeatureMatrix pool, FeatureMatrix? spatial, bool readFromCache, string? cacheFile)
    {
        Pool = pool;
        Spatial = spatial;
        ReadFromCache = readFromCache;
        CacheFile = cacheFile;
    }

    public FeatureMatrix Pool { get; }

    public FeatureMatrix? Spatial { get; }

    /// <summary>Whether these were read from the disk cache rather than computed by running the network.</summary>
    public bool ReadFromCache { get; }

    /// <summary>The cache entry they were read from or written to; null when the disk cache is off.</summary>
    public string? CacheFile { get; }

    /// <summary>From <see cref="ReferenceFeatureCache.Default"/>.</summary>
    public static ReferenceFeatures Of(ReferenceBatch batch, IFeatureExtractor extractor, Ids.Resolution shape) =>
        ReferenceFeatureCache.Default.Get(batch, extractor, shape);
}
