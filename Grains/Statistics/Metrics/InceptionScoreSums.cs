using OrleansFlow.Formats;

namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// Inception Score as the ADM evaluator's <c>compute_inception_score</c> defines it (guided-diffusion
/// <c>evaluations/evaluator.py</c>): the samples are cut into splits of <see cref="SplitSize"/>
/// consecutive indices (5,000; the last split may be shorter), each split scores
/// exp(mean_i KL(p_i ‖ p̄)) with p̄ the split's mean class distribution, and IS is the mean over splits.
/// Because mean_i KL(p_i ‖ p̄) = (1/n) Σ_i Σ_c p_ic log p_ic − Σ_c p̄_c log p̄_c, a split needs only
/// n, Σ_i Σ_c p log p and Σ_i p_i: shards keep those sums for the splits their index range overlaps,
/// and no logits are stored. Softmax is taken in float64 from the network's float32 logits.
/// </summary>
public sealed class InceptionScoreSums
{
    /// <summary>ADM's <c>split_size</c>: 10 splits for 50,000 samples.</summary>
    public const int DefaultSplitSize = 5000;

    private const string SplitKey = "is_split";
    private const string CountKey = "is_n";
    private const string EntropyKey = "is_plogp";
    private const string ProbabilityKey = "is_psum";

    private readonly SortedDictionary<int, SplitSums> _splits = [];

    public InceptionScoreSums(int classes, int splitSize = DefaultSplitSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(splitSize);
        Classes = classes;
        SplitSize = splitSize;
    }

    public int Classes { get; }

    public int SplitSize { get; }

    /// <summary>Adds the logits of sample <paramref name="sampleIndex"/> (its job-wide index, which fixes its split).</summary>
    public void Add(long sampleIndex, ReadOnlySpan<float> logits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleIndex);
        if (logits.Length != Classes)
        {
            throw new ArgumentException($"Inception Score expects {Classes} logits per sample, not {logits.Length}.", nameof(logits));
        }

        var split = checked((int)(sampleIndex / SplitSize));
        if (!_splits.TryGetValue(split, out var sums))
        {
            sums = new SplitSums(Classes);
            _splits.Add(split, sums);
        }

        sums.Add(logits);
    }

    /// <summary>Adds <paramref name="count"/> consecutive samples from <paramref name="firstIndex"/>, logits row-major.</summary>
    public void AddBatch(long firstIndex, ReadOnlySpan<float> logits, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Add(firstIndex + i, logits.Slice(i * Classes, Classes));
        }
    }

    /// <summary>Adds another accumulator's splits (a later shard's) to this one.</summary>
    public void Merge(InceptionScoreSums other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Classes != Classes || other.SplitSize != SplitSize)
        {
            throw new ArgumentException(
                $"Cannot merge Inception Score sums of {other.Classes} classes in splits of {other.SplitSize} into {Classes} classes in splits of {SplitSize}.", nameof(other));
        }

        foreach (var (split, sums) in other._splits)
        {
            if (!_splits.TryGetValue(split, out var mine))
            {
                mine = new SplitSums(Classes);
                _splits.Add(split, mine);
            }

            mine.Merge(sums);
        }
    }

    /// <summary>Per-split scores and their mean (the IS) and spread; every split of the <paramref name="samples"/> must be present.</summary>
    public InceptionScoreResult Score(long samples)
    {
        var expected = (int)((samples + SplitSize - 1) / SplitSize);
        var scores = new double[expected];
        for (var split = 0; split < expected; split++)
        {
            var wanted = Math.Min(SplitSize, samples - ((long)split * SplitSize));
            if (!_splits.TryGetValue(split, out var sums) || sums.Count != wanted)
            {
                throw new InvalidOperationException(
                    $"Inception Score split {split} should hold {wanted} samples but holds {(sums is null ? 0 : sums.Count)}.");
            }

            scores[split] = sums.Score();
        }

        return new InceptionScoreResult(MetricSpread.Of(scores), scores, SplitSize);
    }

    public void WriteTo(NpzWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var count = _splits.Count;
        writer.Write(SplitKey, [.. _splits.Keys.Select(k => (long)k)], count);
        writer.Write(CountKey, [.. _splits.Values.Select(s => s.Count)], count);
        writer.Write(EntropyKey, [.. _splits.Values.Select(s => s.SumPLogP)], count);
        writer.Write(ProbabilityKey, [.. _splits.Values.SelectMany(s => s.SumP)], count, Classes);
    }

    /// <summary>True when a shard record holds Inception Score sums.</summary>
    public static bool IsIn(IReadOnlyDictionary<string, NpyArray> arrays) => arrays.ContainsKey(SplitKey);

    public static InceptionScoreSums ReadFrom(IReadOnlyDictionary<string, NpyArray> arrays, int splitSize)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var splits = arrays[SplitKey].ToInt64Array();
        var counts = arrays[CountKey].ToInt64Array();
        var entropies = arrays[EntropyKey].ToDoubleArray();
        var probabilities = arrays[ProbabilityKey];
        if (probabilities.Shape is not [var rows, var classes] || rows != splits.Length || counts.Length != rows || entropies.Length != rows)
        {
            throw new InvalidDataException($"Inception Score sums disagree in shape: {splits.Length} splits, '{ProbabilityKey}' {NpyDtype.FormatShape(probabilities.Shape)}.");
        }

        var sums = new InceptionScoreSums(classes, splitSize);
        var values = probabilities.ToDoubleArray();
        for (var i = 0; i < rows; i++)
        {
            var split = new SplitSums(classes) { Count = counts[i], SumPLogP = entropies[i] };
            values.AsSpan(i * classes, classes).CopyTo(split.SumP);
            sums._splits.Add(checked((int)splits[i]), split);
        }

        return sums;
    }

    private sealed class SplitSums(int classes)
    {
        public long Count { get; set; }

        /// <summary>Σ_i Σ_c p_ic log p_ic (minus the summed entropies).</summary>
        public double SumPLogP { get; set; }

        /// <summary>Σ_i p_i, one value per class.</summary>
        public double[] SumP { get; } = new double[classes];

        public void Add(ReadOnlySpan<float> logits)
        {
            // log-softmax in float64: log p_c = (l_c − max) − log Σ exp(l − max).
            double max = double.NegativeInfinity;
            foreach (var logit in logits)
            {
                max = Math.Max(max, logit);
            }

            double total = 0;
            foreach (var logit in logits)
            {
                total += Math.Exp(logit - max);
            }

            var logTotal = Math.Log(total);
            double plogp = 0;
            for (var c = 0; c < logits.Length; c++)
            {
                var logP = logits[c] - max - logTotal;
                var p = Math.Exp(logP);
                plogp += p * logP;
                SumP[c] += p;
            }

            SumPLogP += plogp;
            Count++;
        }

        public void Merge(SplitSums other)
        {
            Count += other.Count;
            SumPLogP += other.SumPLogP;
            for (var c = 0; c < SumP.Length; c++)
            {
                SumP[c] += other.SumP[c];
            }
        }

        /// <summary>exp((1/n) Σ p log p − Σ_c p̄_c log p̄_c); a class no sample gives any probability adds 0.</summary>
        public double Score()
        {
            double crossEntropy = 0;
            foreach (var sum in SumP)
            {
                var mean = sum / Count;
                if (mean > 0)
                {
                    crossEntropy += mean * Math.Log(mean);
                }
            }

            return Math.Exp((SumPLogP / Count) - crossEntropy);
        }
    }
}
