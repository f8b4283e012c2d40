using OrleansFlow.Formats;
using OrleansFlow.Statistics;
using OrleansFlow.Statistics.Metrics;

namespace OrleansFlow.Jobs;

/// <summary>
/// One shard's share of every metric, in its result record: pooled-feature moments (<c>n</c>,
/// <c>sum</c>, <c>outer</c>, as before), spatial moments (<c>spatial_*</c>), Inception Score sums of
/// the splits the shard overlaps (<c>is_*</c>) and, for KID and precision/recall, the pooled features
/// themselves (<c>pool</c>, float32 [n, D]). All depend only on the spec, so the record stays create-only.
/// </summary>
internal sealed class ShardEvaluation
{
    public const string SpatialPrefix = "spatial_";
    public const string PoolFeaturesKey = "pool";

    private readonly IFeatureExtractor _extractor;
    private readonly FeatureLayout _layout;
    private readonly float[]? _pool;
    private int _added;

    public ShardEvaluation(IFeatureExtractor extractor, EvaluationMetric metrics, int shardSamples, int splitSize)
    {
        _extractor = extractor;
        _layout = extractor.Layout;
        Pool = new FeatureMoments(_layout.Pool);
        Spatial = metrics.HasFlag(EvaluationMetric.Sfid) ? new FeatureMoments(_layout.Spatial) : null;
        Scores = metrics.HasFlag(EvaluationMetric.InceptionScore) ? new InceptionScoreSums(_layout.Logits, splitSize) : null;
        _pool = (metrics & (EvaluationMetric.Kid | EvaluationMetric.PrecisionRecall)) != 0 ? new float[(long)shardSamples * _layout.Pool] : null;
    }

    public FeatureMoments Pool { get; }

    public FeatureMoments? Spatial { get; }

    public InceptionScoreSums? Scores { get; }

    /// <summary>Extracts and accumulates <paramref name="count"/> samples whose job-wide indices start at <paramref name="firstIndex"/>.</summary>
    public void AddBatch(long firstIndex, ReadOnlySpan<float> samples, int count)
    {
        var width = _layout.Width;
        var rows = new float[(long)count * width];
        _extractor.ExtractAll(samples, count, rows);
        var pool = new float[(long)count * _layout.Pool];
        var spatial = Spatial is null ? null : new float[(long)count * _layout.Spatial];
        for (var i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = rows.AsSpan(i * width, width);
            _layout.PoolOf(row).CopyTo(pool.AsSpan(i * _layout.Pool));
            if (spatial is not null)
            {
                _layout.SpatialOf(row).CopyTo(spatial.AsSpan(i * _layout.Spatial));
            }

            Scores?.Add(firstIndex + i, _layout.LogitsOf(row));
        }

        Pool.AddBatch(pool, count);
        Spatial?.AddBatch(spatial, count);
        if (_pool is not null)
        {
            pool.CopyTo(_pool.AsSpan(_added * _layout.Pool));
        }

        _added += count;
    }

    public void WriteTo(NpzWriter writer)
    {
        Pool.WriteTo(writer);
        Spatial?.WriteTo(writer, SpatialPrefix);
        Scores?.WriteTo(writer);
        if (_pool is not null)
        {
            writer.Write(PoolFeaturesKey, _pool.AsSpan(0, _added * _layout.Pool), _added, _layout.Pool);
        }
    }
}
