using System.Runtime.InteropServices;

namespace OrleansFlow.Formats;

/// <summary>
/// One named tensor of a safetensors file: dtype name ("F32", "I64", "U8", ...), shape, and its
/// little-endian bytes.
/// </summary>
public sealed record SafetensorsTensor(string Name, string Dtype, long[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>A float32 ("F32") tensor holding a copy of <paramref name="data"/>.</summary>
    public static SafetensorsTensor FromFloats(string name, float[] data, params long[] shape) =>
        FromValues(name, SafetensorsDtypes.Float32, data, shape);

    /// <summary>An int64 ("I64") tensor holding a copy of <paramref name="data"/>.</summary>
    public static SafetensorsTensor FromInt64s(string name, long[] data, params long[] shape) =>
        FromValues(name, SafetensorsDtypes.Int64, data, shape);

    /// <summary>The data as float32 values; the tensor must be "F32".</summary>
    public float[] ToFloats() => ToValues<float>(SafetensorsDtypes.Float32);

    /// <summary>The data as int64 values; the tensor must be "I64".</summary>
    public long[] ToInt64s() => ToValues<long>(SafetensorsDtypes.Int64);

    /// <summary>Throws unless <see cref="Data"/> is exactly as long as dtype and shape say.</summary>
    internal void EnsureSizeMatchesShape()
    {
        long expected = SafetensorsDtypes.ByteLength(Name, Dtype, Shape);
        if (Data.Length != expected)
        {
            throw new InvalidDataException(
                $"safetensors tensor '{Name}' holds {Data.Length} bytes, but {Dtype} " +
                $"{SafetensorsDtypes.FormatShape(Shape)} needs {expected}.");
        }
    }

    // safetensors is little-endian, as is every platform .NET 10 runs on (x64, Arm64), so the
    // memory of a value array already is the file's bytes.
    private static SafetensorsTensor FromValues<T>(string name, string dtype, T[] data, long[] shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var tensor = new SafetensorsTensor(name, dtype, shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
        tensor.EnsureSizeMatchesShape();
        return tensor;
    }

    private T[] ToValues<T>(string dtype)
        where T : unmanaged
    {
        if (Dtype != dtype)
        {
            throw new InvalidOperationException($"safetensors tensor '{Name}' is {Dtype}, not {dtype}.");
        }

        return MemoryMarshal.Cast<byte, T>(Data.Span).ToArray();
    }
}
