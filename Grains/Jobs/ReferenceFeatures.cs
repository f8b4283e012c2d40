using System.Collections.Concurrent;
using OrleansFlow.Statistics;
using OrleansFlow.Statistics.Metrics;

namespace OrleansFlow.Jobs;

/// <summary>
/// The features of a reference batch's images under one feature network: pooled (KID,
/// precision/recall, FID when the file has no <c>mu</c>/<c>sigma</c>) and spatial (sFID when it has
/// no <c>mu_s</c>/<c>sigma_s</c>). Computed once per process for each (file, version, network).
/// </summary>
public sealed class ReferenceFeatures
{
    private const int BatchSize = 256;

    private static readonly ConcurrentDictionary<(string Path, DateTime Written, string Network, Ids.Resolution Shape), Lazy<ReferenceFeatures>> Cache = new();

    private ReferenceFeatures(FeatureMatrix pool, FeatureMatrix? spatial)
    {
        Pool = pool;
        Spatial = spatial;
    }

    public FeatureMatrix Pool { get; }

    public FeatureMatrix? Spatial { get; }

    public static ReferenceFeatures Of(ReferenceBatch batch, IFeatureExtractor extractor, Ids.Resolution shape)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(extractor);
        var written = File.Exists(batch.Path) ? File.GetLastWriteTimeUtc(batch.Path) : Directory.GetLastWriteTimeUtc(batch.Path);
        var key = (System.IO.Path.GetFullPath(batch.Path), written, extractor.Name + "|" + extractor.Preprocessing, shape);
        var entry = Cache.GetOrAdd(key, _ => new Lazy<ReferenceFeatures>(() => Compute(batch, extractor, shape)));
        try
        {
            return entry.Value;
        }
        catch
        {
            Cache.TryRemove(new KeyValuePair<(string, DateTime, string, Ids.Resolution), Lazy<ReferenceFeatures>>(key, entry));
            throw;
        }
    }

    private static ReferenceFeatures Compute(ReferenceBatch batch, IFeatureExtractor extractor, Ids.Resolution shape)
    {
        var samples = batch.ToSamples(shape);
        var layout = extractor.Layout;
        var pool = new float[(long)batch.Count * layout.Pool];
        var spatial = layout.Spatial > 0 ? new float[(long)batch.Count * layout.Spatial] : null;
        var rows = new float[BatchSize * layout.Width];
        for (var start = 0; start < batch.Count; start += BatchSize)
        {
            var count = Math.Min(BatchSize, batch.Count - start);
            extractor.ExtractAll(samples.AsSpan(start * shape.Elements, count * shape.Elements), count, rows.AsSpan(0, count * layout.Width));
            for (var i = 0; i < count; i++)
            {
                ReadOnlySpan<float> row = rows.AsSpan(i * layout.Width, layout.Width);
                layout.PoolOf(row).CopyTo(pool.AsSpan((start + i) * layout.Pool, layout.Pool));
                if (spatial is not null)
                {
                    layout.SpatialOf(row).CopyTo(spatial.AsSpan((start + i) * layout.Spatial, layout.Spatial));
                }
            }
        }

        return new ReferenceFeatures(
            new FeatureMatrix(pool, batch.Count, layout.Pool),
            spatial is null ? null : new FeatureMatrix(spatial, batch.Count, layout.Spatial));
    }
}
