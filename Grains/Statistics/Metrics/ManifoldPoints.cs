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
    }

    public int Count { get; }

    public int Dimension { get; }

    private int Stride { get; }

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
}
