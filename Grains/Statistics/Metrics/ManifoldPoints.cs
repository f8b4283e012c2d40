using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OrleansFlow.Statistics.Metrics;

/// <summary>
/// Feature vectors widened to float64 and zero-padded to a multiple of 4, for the squared Euclidean
/// distances of precision/recall. The distance has one fixed summation order — lane l of 4 sums the
/// dimensions d ≡ l (mod 4) in increasing d, then (l₀ + l₁) + (l₂ + l₃) — so it is the same bits on
/// every machine and tools/eval_reference.py reproduces it exactly: a sample's membership is decided by
/// d ≤ r comparisons, and the counts must agree exactly, not to a tolerance.
/// </summary>
public sealed class ManifoldPoints
{
    private const int Lanes = 4;
    private readonly double[] _values;
    private readonly Lazy<(double[] Keys, int[] Order, int[] Rank, double Slack)> _order;

    public ManifoldPoints(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        Count = features.Count;
        Dimension = features.Dimension;
        Stride = (features.Dimension + Lanes - 1) / Lanes * Lanes;
        _values = new double[(long)Count * Stride];
        for (var i = 0; i < Count; i++)
        {
            TensorPrimitives.ConvertChecked(features.Row(i), _values.AsSpan(i * Stride, Dimension));
        }

        _order = new Lazy<(double[], int[], int[], double)>(OrderAlongLeadingDirection);
    }

    public int Count { get; }

    public int Dimension { get; }

    private int Stride { get; }

    /// <summary>
    /// Each row's coordinate along one fixed unit direction u (close to the leading principal axis).
    /// Their differences bound distances from below, |u·a − u·b| ≤ ‖a − b‖, which lets the radii pass
    /// skip points that cannot be among a row's nearest neighbours; the answer does not depend on u.
    /// </summary>
    public IReadOnlyList<double> Keys => _order.Value.Keys;

    /// <summary>Row indices in increasing <see cref="Keys"/>.</summary>
    public IReadOnlyList<int> Order => _order.Value.Order;

    /// <summary>The position of each row in <see cref="Order"/>.</summary>
    public IReadOnlyList<int> Rank => _order.Value.Rank;

    /// <summary>An upper bound on the rounding error of a difference of two keys.</summary>
    public double KeySlack => _order.Value.Slack;

    /// <summary>‖a_i − b_j‖² of row <paramref name="i"/> here and row <paramref name="j"/> of <paramref name="other"/>.</summary>
    public double SquaredDistance(int i, ManifoldPoints other, int j)
    {
        ArgumentNullException.ThrowIfNull(other);
        if ((uint)i >= (uint)Count || (uint)j >= (uint)other.Count || other.Stride != Stride)
        {
            throw new ArgumentOutOfRangeException(nameof(i), $"rows {i} of {Count} and {j} of {other.Count} (strides {Stride}, {other.Stride}) do not fit.");
        }

        // The hot loop of precision/recall (N² pairs): unchecked loads, the rows' bounds are checked above.
        ref double a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), (nint)i * Stride);
        ref double b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(other._values), (nint)j * Stride);
        var sum = Vector256<double>.Zero;
        for (nuint d = 0; d < (nuint)Stride; d += Lanes)
        {
            // Separate multiply and add (no fused multiply-add), as numpy computes it.
            var difference = Vector256.LoadUnsafe(ref a, d) - Vector256.LoadUnsafe(ref b, d);
            sum += difference * difference;
        }

        return (sum.GetElement(0) + sum.GetElement(1)) + (sum.GetElement(2) + sum.GetElement(3));
    }

    /// <summary>
    /// u from 20 power iterations of the centred second-moment operator, started from (1, …, 1) (a
    /// fixed, reproducible choice; a poorer u only makes the pruning less effective).
    /// </summary>
    private (double[] Keys, int[] Order, int[] Rank, double Slack) OrderAlongLeadingDirection()
    {
        var mean = new double[Stride];
        for (var i = 0; i < Count; i++)
        {
            TensorPrimitives.Add(mean, _values.AsSpan(i * Stride, Stride), mean);
        }

        TensorPrimitives.Divide(mean, Math.Max(Count, 1), mean);
        var direction = new double[Stride];
        direction.AsSpan(0, Dimension).Fill(1);
        var next = new double[Stride];
        var centred = new double[Stride];
        for (var iteration = 0; iteration < 20; iteration++)
        {
            Array.Clear(next);
            for (var i = 0; i < Count; i++)
            {
                TensorPrimitives.Subtract(_values.AsSpan(i * Stride, Stride), mean, centred);
                TensorPrimitives.MultiplyAdd(centred, TensorPrimitives.Dot(centred, direction), next, next);
            }

            var length = TensorPrimitives.Norm(next);
            if (!(length > 0))
            {
                break;
            }

            TensorPrimitives.Divide(next, length, direction);
        }

        var norm = TensorPrimitives.Norm(direction);
        TensorPrimitives.Divide(direction, norm, direction);
        var keys = new double[Count];
        double largest = 0;
        for (var i = 0; i < Count; i++)
        {
            ReadOnlySpan<double> row = _values.AsSpan(i * Stride, Stride);
            keys[i] = TensorPrimitives.Dot(row, direction);
            largest = Math.Max(largest, TensorPrimitives.Norm(row));
        }

        var order = Enumerable.Range(0, Count).OrderBy(i => keys[i]).ThenBy(i => i).ToArray();
        var rank = new int[Count];
        for (var position = 0; position < Count; position++)
        {
            rank[order[position]] = position;
        }

        // A dot product of a row with a unit vector is off by at most ~D·ε·‖row‖; 1e-10 of the largest
        // norm is far above that for any D this handles.
        return (keys, order, rank, 1e-10 * largest);
    }
}
