using OrleansFlow.Testing;
using System.Buffers.Binary;
using System.Text;
using OrleansFlow.Formats;

namespace OrleansFlow.Grains.Tests.Formats;

public sealed class PngTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void EncodeDecode_Image_RoundTrips(int channels)
    {
        byte[] hwc = RandomPixels(7 * 5 * channels, seed: channels);

        PngImage decoded = Png.Decode(Png.Encode(hwc, width: 7, height: 5, channels));

        Assert.Equal((7, 5, channels), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(hwc, decoded.Pixels);
    }

    [Theory]
    [InlineData(0, 1)] // grayscale
    [InlineData(2, 3)] // RGB
    [InlineData(6, 4)] // RGBA
    public void Decode_EveryFilterTypeOnSomeRow_RestoresPixels(byte colorType, int channels)
    {
        const int Width = 6;
        const int Height = 10;
        byte[] hwc = RandomPixels(Width * Height * channels, seed: 10 + colorType);
        byte[] rowFilters = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0];

        PngImage decoded = Png.Decode(PngTestFile.Build(hwc, Width, Height, channels, colorType, rowFilters));

        Assert.Equal(channels, decoded.Channels);
        Assert.Equal(hwc, decoded.Pixels);
    }

    [Fact]
    public void Decode_FlippedBitInImageData_ReportsCrcMismatch()
    {
        byte[] png = Png.Encode(RandomPixels(4 * 4 * 3, seed: 1), 4, 4, 3);
        int idatData = FindChunk(png, "IDAT") + 8;
        png[idatData + 3] ^= 0x10;

        var error = Assert.Throws<InvalidDataException>(() => Png.Decode(png));

        Assert.Contains("CRC", error.Message, StringComparison.Ordinal);
        Assert.Contains("IDAT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_MissingSignature_Throws()
    {
        byte[] png = Png.Encode([1, 2, 3, 4], 2, 2, 1);
        png[1] = (byte)'J';

        Assert.Throws<InvalidDataException>(() => Png.Decode(png));
    }

    [Fact]
    public void Write_PixelCountNotMatchingSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => Png.Encode(new byte[11], 2, 2, 3));
    }

    [Fact]
    public async Task Encode_ReadWithPythonZlib_CrcsAndPixelsAgree()
    {
        byte[] hwc = RandomPixels(9 * 4 * 3, seed: 7);
        byte[] png = Png.Encode(hwc, width: 9, height: 4, channels: 3);

        string python = await DebianPython.RunWithInputAsync(
            """
            import struct, sys, zlib
            png = sys.stdin.buffer.read()
            assert png[:8] == b'\x89PNG\r\n\x1a\n'
            pos, idat, types = 8, b'', []
            while pos < len(png):
                length, kind = struct.unpack('>I4s', png[pos:pos + 8])
                data = png[pos + 8:pos + 8 + length]
                crc, = struct.unpack('>I', png[pos + 8 + length:pos + 12 + length])
                assert crc == zlib.crc32(kind + data), kind
                types.append(kind.decode())
                if kind == b'IHDR':
                    width, height, depth, color = struct.unpack('>IIBB', data[:10])
                if kind == b'IDAT':
                    idat += data
                pos += 12 + length
            raw = zlib.decompress(idat)
            stride = 1 + width * 3
            rows = [raw[y * stride:(y + 1) * stride] for y in range(height)]
            assert all(row[0] == 0 for row in rows)
            print(','.join(types), width, height, depth, color, b''.join(row[1:] for row in rows).hex())
            """,
            png);

        Assert.Equal($"IHDR,IDAT,IEND 9 4 8 2 {Convert.ToHexStringLower(hwc)}", python.Trim());
    }

    private static byte[] RandomPixels(int count, int seed)
    {
        var pixels = new byte[count];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    /// <summary>The offset of the first chunk of <paramref name="type"/> (its length field).</summary>
    private static int FindChunk(byte[] png, string type)
    {
        int offset = 8;
        while (Encoding.ASCII.GetString(png, offset + 4, 4) != type)
        {
            offset += 12 + BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
        }

        return offset;
    }
}
