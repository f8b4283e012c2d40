using System.Diagnostics;
using OrleansFlow.Formats;
using OrleansFlow.Statistics;
using OrleansFlow.Statistics.Metrics;

namespace OrleansFlow.Jobs;

/// <summary>
/// The finaliser's side of <see cref="ShardEvaluation"/>: merges the shard records in shard order and
/// computes every metric of the plan against the reference.
/// </summary>
internal sealed class JobEvaluation
{
    /// <summary>FID's spread is taken over this many contiguous groups of whole shards (fewer when there are fewer shards).</summary>
    public const int FidGroups = 10;

    /// <summary>The <see cref="EvaluationSummary.Seconds"/> key of FID's spread: its groups' merges and distances.</summary>
    private const string FidSpreadKey = "fid_spread";

    private readonly EvaluationMetric _metrics;
    private readonly FeatureLayout _layout;
    private readonly int _splitSize;
    private readonly FeatureMoments[] _groups;
    private readonly int _shards;
    private readonly List<FeatureMatrix> _features = [];
    private readonly Dictionary<string, double> _seconds = [];

    public JobEvaluation(EvaluationMetric metrics, FeatureLayout layout, int shards, int splitSize)
    {
        _metrics = metrics;
        _layout = layout;
        _splitSize = splitSize;
        _shards = shards;
        Pool = new FeatureMoments(layout.Pool);
        Spatial = metrics.HasFlag(EvaluationMetric.Sfid) ? new FeatureMoments(layout.Spatial) : null;
        Scores = metrics.HasFlag(EvaluationMetric.InceptionScore) ? new InceptionScoreSums(layout.Logits, splitSize) : null;
        _groups = shards >= 2 ? [.. Enumerable.Range(0, Math.Min(FidGroups, shards)).Select(_ => new FeatureMoments(layout.Pool))] : [];
    }

    public FeatureMoments Pool { get; }

    public FeatureMoments? Spatial { get; }

    public InceptionScoreSums? Scores { get; }

    /// <summary>Adds the seconds spent reading the shard records to <see cref="EvaluationSummary.Seconds"/>, as <c>read</c>.</summary>
    public void AddReadSeconds(TimeSpan elapsed) => _seconds["read"] = _seconds.GetValueOrDefault("read") + elapsed.TotalSeconds;

    /// <summary>FID from the merged <see cref="Pool"/>, timed as <c>fid</c> with the merge.</summary>
    public (GaussianStatistics Generated, FrechetResult Frechet) Fid(FidReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var watch = Stopwatch.StartNew();
        var generated = Pool.ToGaussian();
        var frechet = FrechetDistance.Compute(generated, reference.Statistics);
        Time("fid", watch);
        return (generated, frechet);
    }

    /// <summary>Adds shard <paramref name="index"/>'s record; shards must come in index order.</summary>
    public void AddShard(int index, IReadOnlyDictionary<string, NpyArray> arrays)
    {
        var watch = Stopwatch.StartNew();
        Pool.MergeFrom(arrays);
        Time("fid", watch);
        if (_groups.Length > 0)
        {
            _groups[(int)((long)index * _groups.Length / _shards)].MergeFrom(arrays);
            Time(FidSpreadKey, watch);
        }

        if (Spatial is not null)
        {
            Spatial.MergeFrom(arrays, ShardEvaluation.SpatialPrefix);
            Time("sfid", watch);
        }

        if (Scores is not null)
        {
            Scores.Merge(InceptionScoreSums.ReadFrom(arrays, _splitSize));
            Time("is", watch);
        }

        if ((_metrics & (EvaluationMetric.Kid | EvaluationMetric.PrecisionRecall)) != 0)
        {
            _features.Add(FeatureMatrix.FromNpy(arrays[ShardEvaluation.PoolFeaturesKey], $"shard {index} '{ShardEvaluation.PoolFeaturesKey}'"));
        }
    }

    /// <summary>
    /// Every metric but FID itself (which the caller computes from <see cref="Pool"/> as before);
    /// precision/recall's blocks run where <paramref name="manifold"/>'s runner sends them.
    /// </summary>
    public async Task<EvaluationSummary> ComputeAsync(FidReference reference, long seed, long samples, ManifoldBlockRunnerFactory manifold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifold);
        var watch = Stopwatch.StartNew();
        var summary = new EvaluationSummary { Metrics = EvaluationMetrics.Format(_metrics), FidSpread = FidSpread(reference) };
        Time(FidSpreadKey, watch);
        if (Spatial is not null)
        {
            summary = summary with
            {
                Sfid = FrechetDistance.Compute(Spatial.ToGaussian(), reference.Spatial!).Fid,
                SfidReference = reference.SpatialDescription,
            };
            Time("sfid", watch);
        }

        if (Scores is not null)
        {
            var score = Scores.Score(samples);
            summary = summary with
            {
                InceptionScore = score.Score,
                InceptionScoreSpread = Spread(score.Spread, $"splits of {score.SplitSize} consecutive samples"),
                InceptionScoreSplits = score.SplitScores,
            };
            Time("is", watch);
        }

        if (_features.Count > 0)
        {
            var generated = FeatureMatrix.Concatenate(_features);
            var referencePool = reference.Features!.Pool;
            summary = summary with { FeatureReference = $"{reference.Description}: {referencePool.Count} pooled feature vectors" };
            if (_metrics.HasFlag(EvaluationMetric.PrecisionRecall))
            {
                PrecisionRecallResult prc;
                await using (var runner = manifold(generated, referencePool))
                {
                    prc = await PrecisionRecall.ComputeAsync(runner, generated, referencePool, ManifoldEstimate.DefaultNeighbours, PrecisionRecall.DefaultBlockSize, cancellationToken);
                }

                summary = summary with
                {
                    Precision = prc.Precision,
                    Recall = prc.Recall,
                    PrecisionRecallCounts = new PrecisionRecallCounts(prc.GeneratedInside, prc.Generated, prc.ReferenceInside, prc.Reference, prc.Neighbours),
                };
                Time("prc", watch);
            }

            if (_metrics.HasFlag(EvaluationMetric.Kid))
            {
                var kid = KernelInceptionDistance.Compute(generated, referencePool, seed);
                summary = summary with
                {
                    Kid = kid.Kid,
                    KidSpread = Spread(kid.Spread, $"subsets of {kid.SubsetSize} generated and {kid.SubsetSize} reference features"),
                    KidSeed = kid.Seed,
                };
                Time("kid", watch);
            }
        }

        return summary with { Seconds = new Dictionary<string, double>(_seconds) };
    }

    private MetricSpreadSummary? FidSpread(FidReference reference)
    {
        if (_groups.Length == 0 || _groups.Any(g => g.Count < 2))
        {
            return null;
        }

        // One factorisation of the reference for all the groups (FrechetDistance.ComputeAgainst).
        var values = FrechetDistance.ComputeAgainst([.. _groups.Select(g => g.ToGaussian())], reference.Statistics).Select(r => r.Fid).ToArray();
        return Spread(MetricSpread.Of(values), "contiguous groups of whole shards (each FID biased up by its smaller count)");
    }

    private static MetricSpreadSummary Spread(MetricSpread spread, string over) => new(spread.Mean, spread.Std, spread.Parts, over);

    private void Time(string metric, Stopwatch watch)
    {
        _seconds[metric] = _seconds.GetValueOrDefault(metric) + watch.Elapsed.TotalSeconds;
        watch.Restart();
    }
}
