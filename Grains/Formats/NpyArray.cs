using System.Runtime.InteropServices;

namespace OrleansFlow.Formats;

/// <summary>
/// One NumPy array as stored in a <c>.npy</c> file: dtype, C-order shape and the raw little-endian
/// bytes. Name-free; an <c>.npz</c> maps names to these.
/// </summary>
public sealed class NpyArray
{
    /// <summary>Stands for the array's name in messages where the array has none.</summary>
    internal const string Unnamed = "(unnamed)";

    public NpyArray(string dtype, int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long expectedBytes = Npy.DataLength(dtype, shape, Unnamed);
        if (data.LongLength != expectedBytes)
        {
            throw new ArgumentException(
                $"An array of dtype {dtype} and shape {NpyDtype.FormatShape(shape)} needs {expectedBytes} bytes, not {data.LongLength}.",
                nameof(data));
        }

        Dtype = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>NumPy dtype string, one of the <see cref="NpyDtype"/> constants.</summary>
    public string Dtype { get; }

    /// <summary>Extents in C (row-major) order; empty for a 0-d scalar.</summary>
    public int[] Shape { get; }

    /// <summary>The elements' little-endian bytes in C order.</summary>
    public byte[] Data { get; }

    public long ElementCount => NpyDtype.ElementCount(Shape, Unnamed);

    public static NpyArray FromDoubles(ReadOnlySpan<double> values, params int[] shape) =>
        FromElements(NpyDtype.Float64, values, shape);

    public static NpyArray FromSingles(ReadOnlySpan<float> values, params int[] shape) =>
        FromElements(NpyDtype.Float32, values, shape);

    public static NpyArray FromInt64s(ReadOnlySpan<long> values, params int[] shape) =>
        FromElements(NpyDtype.Int64, values, shape);

    public static NpyArray FromBytes(ReadOnlySpan<byte> values, params int[] shape) =>
        FromElements(NpyDtype.UInt8, values, shape);

    /// <summary>The elements as float64; float32 arrays are widened exactly.</summary>
    public double[] ToDoubleArray() => Dtype switch
    {
        NpyDtype.Float64 => ElementsAs<double>().ToArray(),
        NpyDtype.Float32 => Array.ConvertAll(ElementsAs<float>().ToArray(), value => (double)value),
        _ => throw WrongDtype("float64", NpyDtype.Float64, NpyDtype.Float32),
    };

    /// <summary>
    /// The elements as float64 without a copy when they are float64 (a view of <see cref="Data"/>),
    /// else widened into a new array.
    /// </summary>
    public ReadOnlySpan<double> AsDoubles() => Dtype == NpyDtype.Float64 ? ElementsAs<double>() : ToDoubleArray();

    public float[] ToSingleArray() => Dtype == NpyDtype.Float32
        ? ElementsAs<float>().ToArray()
        : throw WrongDtype("float32", NpyDtype.Float32);

    public long[] ToInt64Array() => Dtype == NpyDtype.Int64
        ? ElementsAs<long>().ToArray()
        : throw WrongDtype("int64", NpyDtype.Int64);

    public byte[] ToByteArray() => Dtype == NpyDtype.UInt8
        ? (byte[])Data.Clone()
        : throw WrongDtype("uint8", NpyDtype.UInt8);

    private static NpyArray FromElements<T>(string dtype, ReadOnlySpan<T> values, int[] shape)
        where T : unmanaged
    {
        EnsureLittleEndianHost();
        return new NpyArray(dtype, (int[])shape.Clone(), MemoryMarshal.AsBytes(values).ToArray());
    }

    private ReadOnlySpan<T> ElementsAs<T>()
        where T : unmanaged
    {
        EnsureLittleEndianHost();
        return MemoryMarshal.Cast<byte, T>(Data);
    }

    /// <summary>
    /// The .npy data is little-endian and is reinterpreted in place, which is only right on a
    /// little-endian machine (x64, arm64: every machine this cluster runs on).
    /// </summary>
    internal static void EnsureLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("NumPy arrays are read and written as little-endian; this machine is big-endian.");
        }
    }

    private InvalidOperationException WrongDtype(string wanted, params string[] accepted) => new(
        $"Cannot read an array of dtype {Dtype} as {wanted}; expected {string.Join(" or ", accepted)}.");
}
