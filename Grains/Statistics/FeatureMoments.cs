using System.Numerics.Tensors;
using OrleansFlow.Formats;

namespace OrleansFlow.Statistics;

/// <summary>
/// Streaming first and second moments of feature vectors in float64: the count n, Σf and Σ f fᵀ,
/// as EDM's fid.py accumulates them. Partial moments of shards merge by addition, so FID
/// statistics never need all N×D features at once. The summation order of every element is fixed
/// (samples in the order added), which makes results reproducible bit for bit.
/// </summary>
public sealed class FeatureMoments
{
    /// <summary>Below this many multiply-adds per batch the work is not worth spreading over threads.</summary>
    private const long ParallelWorkThreshold = 1 << 20;

    public FeatureMoments(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        Sum = new double[dimension];
        SumOfOuterProducts = new double[checked(dimension * dimension)];
    }

    public int Dimension { get; }

    /// <summary>Samples accumulated.</summary>
    public long Count { get; private set; }

    /// <summary>Σ f over all samples, length <see cref="Dimension"/>.</summary>
    public double[] Sum { get; }

    /// <summary>Σ f fᵀ over all samples, D×D row-major, kept fully symmetric.</summary>
    public double[] SumOfOuterProducts { get; }

    /// <summary>Adds one sample of <see cref="Dimension"/> features.</summary>
    public void Add(ReadOnlySpan<float> features) => AddBatch(features, 1);

    /// <summary>
    /// Adds <paramref name="count"/> samples stored row-major in <paramref name="batch"/>; the same
    /// result, bit for bit, as adding them one by one in order.
    /// </summary>
    public void AddBatch(ReadOnlySpan<float> batch, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int dimension = Dimension;
        if (batch.Length != (long)count * dimension)
        {
            throw new ArgumentException(
                $"A batch of {count} samples of dimension {dimension} has {(long)count * dimension} floats, not {batch.Length}.",
                nameof(batch));
        }

        if (count == 0)
        {
            return;
        }

        double[] widened = new double[batch.Length];
        TensorPrimitives.ConvertChecked(batch, widened.AsSpan());

        // Row i of the upper triangle only needs f[i] and f[i..] of each sample, and its elements'
        // sums run over the samples in order whichever thread computes the row.
        long work = (long)count * dimension * (dimension + 1) / 2;
        if (work >= ParallelWorkThreshold && dimension > 1)
        {
            Parallel.For(0, dimension, row => AccumulateRow(widened, count, row));
        }
        else
        {
            for (int row = 0; row < dimension; row++)
            {
                AccumulateRow(widened, count, row);
            }
        }

        MirrorUpperTriangle();
        Count += count;
    }

    /// <summary>Adds the features <paramref name="extractor"/> computes for <paramref name="count"/> flattened samples.</summary>
    public void AddFeatures(IFeatureExtractor extractor, ReadOnlySpan<float> samples, int count)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        if (extractor.Dimension != Dimension)
        {
            throw new ArgumentException(
                $"The extractor's {extractor.Dimension} features do not fit moments of dimension {Dimension}.", nameof(extractor));
        }

        var features = new float[(long)count * Dimension];
        extractor.Extract(samples, count, features);
        AddBatch(features, count);
    }

    /// <summary>Adds another accumulator's samples to this one.</summary>
    public void Merge(FeatureMoments other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension)
        {
            throw new ArgumentException(
                $"Cannot merge feature moments of dimension {other.Dimension} into dimension {Dimension}.", nameof(other));
        }

        TensorPrimitives.Add(Sum, other.Sum, Sum);
        TensorPrimitives.Add(SumOfOuterProducts, other.SumOfOuterProducts, SumOfOuterProducts);
        Count += other.Count;
    }

    /// <summary>μ = Σf / n.</summary>
    public double[] Mean()
    {
        if (Count < 1)
        {
            throw new InvalidOperationException("The mean of feature moments needs at least one sample; none were added.");
        }

        var mean = new double[Dimension];
        TensorPrimitives.Divide(Sum, Count, mean);
        return mean;
    }

    /// <summary>
    /// Sample covariance with ddof = 1, as numpy.cov and pytorch-fid's
    /// <c>np.cov(act, rowvar=False)</c>: (Σ f fᵀ − n μ μᵀ) / (n − 1), D×D row-major.
    /// </summary>
    public double[] Covariance()
    {
        if (Count < 2)
        {
            throw new InvalidOperationException(
                $"A covariance with ddof=1 needs at least 2 samples; these feature moments have {Count}.");
        }

        int dimension = Dimension;
        double n = Count;
        var covariance = new double[SumOfOuterProducts.Length];
        for (int i = 0; i < dimension; i++)
        {
            for (int j = 0; j < dimension; j++)
            {
                // n μᵢ μⱼ written as Σfᵢ Σfⱼ / n: one rounding fewer, and symmetric in i and j exactly.
                double centred = SumOfOuterProducts[(i * dimension) + j] - (Sum[i] * Sum[j] / n);
                covariance[(i * dimension) + j] = centred / (n - 1);
            }
        }

        return covariance;
    }

    public GaussianStatistics ToGaussian() => new(Mean(), Covariance());

    /// <summary>
    /// Saves the raw moments as arrays <c>n</c> (int64 scalar), <c>sum</c> [D] and <c>outer</c> [D, D]
    /// (float64), so a shard's partial statistics can be merged later.
    /// </summary>
    /// <param name="prefix">Put before each name, so one record can hold several sets (sFID's are <c>spatial_</c>).</param>
    public void WriteTo(NpzWriter writer, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(prefix + "n", [Count]);
        writer.Write(prefix + "sum", Sum, Dimension);
        writer.Write(prefix + "outer", SumOfOuterProducts, Dimension, Dimension);
    }

    /// <summary>Reads moments saved by <see cref="WriteTo"/>; <c>n</c> may have shape () or (1,).</summary>
    public static FeatureMoments ReadFrom(IReadOnlyDictionary<string, NpyArray> arrays, string prefix = "")
    {
        var (count, sum, outer) = Stored(arrays, prefix);
        var moments = new FeatureMoments(sum.Shape[0]) { Count = count };
        sum.AsDoubles().CopyTo(moments.Sum);
        outer.AsDoubles().CopyTo(moments.SumOfOuterProducts);
        return moments;
    }

    /// <summary>
    /// Adds moments saved by <see cref="WriteTo"/> straight from the record's bytes: the same sums, bit
    /// for bit, as <c>Merge(ReadFrom(arrays, prefix))</c>, without the D² copies (a finaliser merging 50
    /// shards of 2,048-d moments would otherwise copy and allocate 3.2 GB).
    /// </summary>
    public void MergeFrom(IReadOnlyDictionary<string, NpyArray> arrays, string prefix = "")
    {
        var (count, sum, outer) = Stored(arrays, prefix);
        if (sum.Shape[0] != Dimension)
        {
            throw new ArgumentException(
                $"Cannot merge feature moments of dimension {sum.Shape[0]} into dimension {Dimension}.", nameof(arrays));
        }

        TensorPrimitives.Add(Sum, sum.AsDoubles(), Sum);
        TensorPrimitives.Add(SumOfOuterProducts, outer.AsDoubles(), SumOfOuterProducts);
        Count += count;
    }

    /// <summary>The validated arrays of a record written by <see cref="WriteTo"/>.</summary>
    private static (long Count, NpyArray Sum, NpyArray Outer) Stored(IReadOnlyDictionary<string, NpyArray> arrays, string prefix)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        NpyArray n = Require(arrays, prefix + "n");
        NpyArray sum = Require(arrays, prefix + "sum");
        NpyArray outer = Require(arrays, prefix + "outer");
        if (n.Shape.Length > 1 || n.ElementCount != 1)
        {
            throw new InvalidDataException($"Feature moments array 'n' must be an int64 scalar, not shape {NpyDtype.FormatShape(n.Shape)}.");
        }

        if (sum.Shape.Length != 1 || sum.Shape[0] < 1)
        {
            throw new InvalidDataException($"Feature moments array 'sum' must have shape (D,), not {NpyDtype.FormatShape(sum.Shape)}.");
        }

        int dimension = sum.Shape[0];
        if (outer.Shape is not [var rows, var columns] || rows != dimension || columns != dimension)
        {
            throw new InvalidDataException(
                $"Feature moments array 'outer' must have shape ({dimension}, {dimension}) to match 'sum', not {NpyDtype.FormatShape(outer.Shape)}.");
        }

        long count = n.ToInt64Array()[0];
        if (count < 0)
        {
            throw new InvalidDataException($"Feature moments array 'n' holds a negative count ({count}).");
        }

        return (count, sum, outer);
    }

    private static NpyArray Require(IReadOnlyDictionary<string, NpyArray> arrays, string key) =>
        arrays.TryGetValue(key, out NpyArray? array)
            ? array
            : throw new InvalidDataException($"Feature moments need arrays 'n', 'sum' and 'outer'; '{key}' is missing.");

    /// <summary>
    /// Σ over samples of fᵢ·fⱼ for j ≥ i, plus Σ fᵢ. Each fᵢ·fⱼ of two float32 values is exact in
    /// float64 (24 + 24 significant bits ≤ 53), so a fused multiply-add rounds exactly like a
    /// multiply then an add: vectorised and scalar paths, FMA or not, give identical bits.
    /// </summary>
    private void AccumulateRow(double[] widened, int count, int row)
    {
        int dimension = Dimension;
        Span<double> outerRow = SumOfOuterProducts.AsSpan((row * dimension) + row, dimension - row);
        double sum = Sum[row];
        for (int sample = 0; sample < count; sample++)
        {
            ReadOnlySpan<double> features = widened.AsSpan(sample * dimension, dimension);
            double featureAtRow = features[row];
            sum += featureAtRow;
            TensorPrimitives.MultiplyAdd(features[row..], featureAtRow, outerRow, outerRow);
        }

        Sum[row] = sum;
    }

    private void MirrorUpperTriangle()
    {
        int dimension = Dimension;
        for (int i = 0; i < dimension; i++)
        {
            for (int j = i + 1; j < dimension; j++)
            {
                SumOfOuterProducts[(j * dimension) + i] = SumOfOuterProducts[(i * dimension) + j];
            }
        }
    }
}
