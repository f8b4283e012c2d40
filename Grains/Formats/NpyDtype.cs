namespace OrleansFlow.Formats;

/// <summary>
/// The NumPy dtype strings (<c>descr</c>) this project reads and writes: little-endian float64,
/// float32, int64 and uint8, spelled exactly as NumPy writes them.
/// </summary>
public static class NpyDtype
{
    public const string Float64 = "<f8";
    public const string Float32 = "<f4";
    public const string Int64 = "<i8";
    public const string UInt8 = "|u1";

    /// <summary>Bytes per element of a supported dtype.</summary>
    /// <exception cref="NotSupportedException">The dtype is not one of the four supported.</exception>
    public static int ItemSize(string dtype, string arrayName) => dtype switch
    {
        Float64 or Int64 => 8,
        Float32 => 4,
        UInt8 => 1,
        _ => throw new NotSupportedException(
            $"Array '{arrayName}' has dtype '{dtype}'; only {Float64}, {Float32}, {Int64} and {UInt8} " +
            "(little-endian) are supported."),
    };

    /// <summary>
    /// Elements in an array of <paramref name="shape"/> (1 for the 0-d shape <c>()</c>).
    /// </summary>
    public static long ElementCount(ReadOnlySpan<int> shape, string arrayName)
    {
        long count = 1;
        foreach (int extent in shape)
        {
            if (extent < 0)
            {
                throw new ArgumentException($"Array '{arrayName}' has a negative extent in shape {FormatShape(shape)}.");
            }

            count = checked(count * extent);
        }

        return count;
    }

    /// <summary>The shape as Python writes a tuple: <c>()</c>, <c>(3,)</c>, <c>(3, 4)</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape.ToArray()) + ")",
    };
}
