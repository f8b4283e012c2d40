using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using OrleansFlow.Formats;

namespace OrleansFlow.Grains.Tests.Formats;

/// <summary>
/// Builds PNGs the way other encoders may: any color type and a chosen filter type per row, with
/// the forward filters written out from the PNG specification (§9.2), independently of
/// <see cref="Png"/>'s decoder.
/// </summary>
internal static class PngTestFile
{
    public static byte[] Build(byte[] hwc, int width, int height, int channels, byte colorType, byte[] rowFilters)
    {
        int stride = width * channels;
        using var filtered = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            filtered.WriteByte(rowFilters[y]);
            for (int i = 0; i < stride; i++)
            {
                int at = (y * stride) + i;
                int a = i >= channels ? hwc[at - channels] : 0;
                int b = y > 0 ? hwc[at - stride] : 0;
                int c = i >= channels && y > 0 ? hwc[at - stride - channels] : 0;
                int predictor = rowFilters[y] switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new ArgumentOutOfRangeException(nameof(rowFilters)),
                };
                filtered.WriteByte((byte)(hwc[at] - predictor));
            }
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            filtered.WriteTo(zlib);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colorType;

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR"u8, header);
        WriteChunk(png, "tEXt"u8, "Comment\0ancillary chunks are skipped"u8);
        WriteChunk(png, "IDAT"u8, compressed.ToArray());
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(field, data.Length);
        png.Write(field);
        png.Write(type);
        png.Write(data);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(field, crc.GetCurrentHashAsUInt32());
        png.Write(field);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a);
        int pb = Math.Abs(p - b);
        int pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
