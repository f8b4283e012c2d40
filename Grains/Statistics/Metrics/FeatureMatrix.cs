using OrleansFlow.Formats;

namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// N feature vectors of D float32 values, row-major: the per-sample features that KID and
/// precision/recall need whole (moments are not enough for them). Stored per shard as <c>float32 [n, D]</c>.
/// </summary>
public sealed class FeatureMatrix
{
    public FeatureMatrix(float[] values, int count, int dimension)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (values.Length != (long)count * dimension)
        {
            throw new ArgumentException($"{count} features of dimension {dimension} need {(long)count * dimension} floats, not {values.Length}.", nameof(values));
        }

        Values = values;
        Count = count;
        Dimension = dimension;
    }

    public float[] Values { get; }

    public int Count { get; }

    public int Dimension { get; }

    public ReadOnlySpan<float> Row(int index) => Values.AsSpan(index * Dimension, Dimension);

    public NpyArray ToNpy() => NpyArray.FromSingles(Values, Count, Dimension);

    /// <summary>Reads a <c>float32 [n, D]</c> array; <paramref name="what"/> names it in errors.</summary>
    public static FeatureMatrix FromNpy(NpyArray array, string what)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Shape is not [var count, var dimension] || dimension < 1)
        {
            throw new InvalidDataException($"{what} must be features of shape (N, D), not {NpyDtype.FormatShape(array.Shape)}.");
        }

        return new FeatureMatrix(array.Dtype == NpyDtype.Float32 ? array.ToSingleArray() : [.. array.ToDoubleArray().Select(v => (float)v)], count, dimension);
    }

    /// <summary>The rows of several matrices one after another (the shards of a job, in shard order).</summary>
    public static FeatureMatrix Concatenate(IReadOnlyList<FeatureMatrix> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ArgumentException("There are no feature matrices to concatenate.", nameof(parts));
        }

        var dimension = parts[0].Dimension;
        if (parts.Any(p => p.Dimension != dimension))
        {
            throw new ArgumentException("Feature matrices of different dimensions cannot be concatenated.", nameof(parts));
        }

        var values = new float[parts.Sum(p => (long)p.Values.Length)];
        long offset = 0;
        foreach (var part in parts)
        {
            part.Values.CopyTo(values, offset);
            offset += part.Values.Length;
        }

        return new FeatureMatrix(values, parts.Sum(p => p.Count), dimension);
    }
}
