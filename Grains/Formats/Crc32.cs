namespace OrleansFlow.Formats;

/// <summary>
/// CRC-32 with the IEEE 802.3 polynomial (reflected 0xEDB88320), as PNG chunks and zip entries
/// use it; table-driven, one byte per step. Written here because System.IO.Hashing is not in our
/// package registry.
/// </summary>
public static class Crc32
{
    private const uint ReflectedPolynomial = 0xEDB88320u;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0u, data);

    /// <summary>
    /// Continues a finished CRC over more bytes, like zlib's <c>crc32(crc, buf, len)</c>:
    /// <c>Append(Compute(a), b) == Compute(a + b)</c>.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint register = ~crc;
        foreach (byte b in data)
        {
            register = Table[(register ^ b) & 0xFF] ^ (register >> 8);
        }

        return ~register;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < table.Length; n++)
        {
            uint c = n;
            for (int bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? ReflectedPolynomial ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
