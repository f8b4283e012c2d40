using System.Collections.Frozen;

namespace OrleansFlow.Formats;

/// <summary>The safetensors dtype names with whole-byte elements, and the byte size a shape needs.</summary>
internal static class SafetensorsDtypes
{
    public const string Float32 = "F32";
    public const string Int64 = "I64";

    private static readonly FrozenDictionary<string, int> ElementSizes = new Dictionary<string, int>
    {
        ["BOOL"] = 1,
        ["U8"] = 1,
        ["I8"] = 1,
        ["F8_E4M3"] = 1,
        ["F8_E5M2"] = 1,
        ["U16"] = 2,
        ["I16"] = 2,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["U32"] = 4,
        ["I32"] = 4,
        [Float32] = 4,
        ["U64"] = 8,
        [Int64] = 8,
        ["F64"] = 8,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Bytes a tensor of <paramref name="dtype"/> and <paramref name="shape"/> occupies.</summary>
    /// <exception cref="InvalidDataException">Unknown dtype, negative dimension, or a size past 2^63.</exception>
    public static long ByteLength(string tensorName, string dtype, IReadOnlyList<long> shape)
    {
        if (!ElementSizes.TryGetValue(dtype, out int size))
        {
            throw new InvalidDataException($"safetensors tensor '{tensorName}' has unsupported dtype '{dtype}'.");
        }

        long length = size;
        foreach (long dimension in shape)
        {
            if (dimension < 0 || (dimension > 0 && length > long.MaxValue / dimension))
            {
                throw new InvalidDataException(
                    $"safetensors tensor '{tensorName}' has an invalid shape {FormatShape(shape)}.");
            }

            length *= dimension;
        }

        return length;
    }

    public static string FormatShape(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
