using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace OrleansFlow.Formats;

/// <summary>
/// Minimal PNG (ISO/IEC 15948): writes 8-bit grayscale or RGB, non-interlaced, with filter type 0
/// on every row (the simplest valid choice; adaptive filters would only make files smaller);
/// reads back 8-bit grayscale, RGB and RGBA with all five filter types, verifying every chunk's CRC.
/// </summary>
public static class Png
{
    private const byte BitDepth = 8;
    private const byte ColorTypeGray = 0;
    private const byte ColorTypeRgb = 2;
    private const byte ColorTypeRgba = 6;
    private const int IhdrLength = 13;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes an HWC image with 1 (grayscale) or 3 (RGB) channels as a PNG.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> hwc, int width, int height, int channels)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        byte colorType = channels switch
        {
            1 => ColorTypeGray,
            3 => ColorTypeRgb,
            _ => throw new ArgumentOutOfRangeException(nameof(channels), channels, "PNG output has 1 or 3 channels."),
        };
        int rowLength = checked(width * channels);
        if (hwc.Length != checked(rowLength * height))
        {
            throw new ArgumentException(
                $"Image holds {hwc.Length} bytes, but {height}×{width}×{channels} needs {rowLength * height}.",
                nameof(hwc));
        }

        Span<byte> header = stackalloc byte[IhdrLength];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = BitDepth;
        header[9] = colorType;
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method: adaptive, five types
        header[12] = 0; // no interlace

        stream.Write(Signature);
        WriteChunk(stream, "IHDR", header);
        WriteChunk(stream, "IDAT", Deflate(hwc, rowLength, height));
        WriteChunk(stream, "IEND", []);
    }

    /// <summary>The PNG bytes of an HWC image, as <see cref="Write"/> writes them.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> hwc, int width, int height, int channels)
    {
        using var buffer = new MemoryStream();
        Write(buffer, hwc, width, height, channels);
        return buffer.ToArray();
    }

    /// <summary>
    /// Decodes an 8-bit, non-interlaced grayscale, RGB or RGBA PNG. Ancillary chunks are skipped
    /// (their CRCs still checked); anything else unsupported, and any CRC mismatch, throws
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public static PngImage Decode(ReadOnlySpan<byte> png)
    {
        if (!png.StartsWith(Signature))
        {
            throw new InvalidDataException("Not a PNG: the 8-byte signature is missing.");
        }

        var reader = new ChunkReader(png[Signature.Length..]);
        if (!reader.TryRead(out string type, out ReadOnlySpan<byte> data) || type != "IHDR" || data.Length != IhdrLength)
        {
            throw new InvalidDataException("PNG does not start with a 13-byte IHDR chunk.");
        }

        (int width, int height, int channels) = ReadHeader(data);

        using var compressed = new MemoryStream();
        bool ended = false;
        while (!ended && reader.TryRead(out type, out data))
        {
            switch (type)
            {
                case "IDAT":
                    compressed.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
                case "PLTE":
                    break; // for gray/RGB images a palette is only a display hint
                default:
                    if (char.IsUpper(type[0]))
                    {
                        throw new InvalidDataException($"PNG critical chunk '{type}' is not supported.");
                    }

                    break;
            }
        }

        if (!ended)
        {
            throw new InvalidDataException("PNG ends without an IEND chunk.");
        }

        int rowLength = checked(width * channels);
        byte[] filtered = Inflate(compressed, checked((rowLength + 1) * height));
        return new PngImage(width, height, channels, Unfilter(filtered, rowLength, height, channels));
    }

    private static (int Width, int Height, int Channels) ReadHeader(ReadOnlySpan<byte> ihdr)
    {
        int width = BinaryPrimitives.ReadInt32BigEndian(ihdr);
        int height = BinaryPrimitives.ReadInt32BigEndian(ihdr[4..]);
        if (width <= 0 || height <= 0)
        {
            throw new InvalidDataException($"PNG size {width}×{height} is invalid.");
        }

        if (ihdr[8] != BitDepth || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0)
        {
            throw new InvalidDataException(
                $"PNG bit depth {ihdr[8]}, compression {ihdr[10]}, filter {ihdr[11]}, interlace {ihdr[12]} " +
                "is not supported (only 8, 0, 0, 0).");
        }

        int channels = ihdr[9] switch
        {
            ColorTypeGray => 1,
            ColorTypeRgb => 3,
            ColorTypeRgba => 4,
            _ => throw new InvalidDataException($"PNG color type {ihdr[9]} is not supported (only 0, 2, 6)."),
        };
        return (width, height, channels);
    }

    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(field, data.Length);
        stream.Write(field);

        Encoding.ASCII.GetBytes(type, field);
        stream.Write(field);
        stream.Write(data);

        // The CRC covers the type and the data, not the length.
        var crc = new Crc32();
        crc.Append(field);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(field, crc.GetCurrentHashAsUInt32());
        stream.Write(field);
    }

    private static byte[] Deflate(ReadOnlySpan<byte> hwc, int rowLength, int height)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(hwc.Slice(y * rowLength, rowLength));
            }
        }

        return compressed.ToArray();
    }

    private static byte[] Inflate(MemoryStream compressed, int expectedLength)
    {
        compressed.Position = 0;
        using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
        var filtered = new byte[expectedLength];
        try
        {
            zlib.ReadExactly(filtered);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"PNG image data is shorter than the {expectedLength} bytes its size needs.");
        }

        return filtered;
    }

    /// <summary>Reverses the per-row filters of ISO/IEC 15948 §9.2, dropping the filter-type bytes.</summary>
    private static byte[] Unfilter(byte[] filtered, int rowLength, int height, int bytesPerPixel)
    {
        var pixels = new byte[rowLength * height];
        ReadOnlySpan<byte> previous = new byte[rowLength]; // the row above the first is all zeros
        for (int y = 0; y < height; y++)
        {
            byte filterType = filtered[y * (rowLength + 1)];
            ReadOnlySpan<byte> source = filtered.AsSpan((y * (rowLength + 1)) + 1, rowLength);
            Span<byte> row = pixels.AsSpan(y * rowLength, rowLength);
            for (int i = 0; i < rowLength; i++)
            {
                int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
                int up = previous[i];
                int upLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0;
                int predictor = filterType switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) >> 1,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"PNG row {y} has unknown filter type {filterType}."),
                };
                row[i] = (byte)(source[i] + predictor);
            }

            previous = row;
        }

        return pixels;
    }

    private static int Paeth(int left, int up, int upLeft)
    {
        int estimate = left + up - upLeft;
        int distanceLeft = Math.Abs(estimate - left);
        int distanceUp = Math.Abs(estimate - up);
        int distanceUpLeft = Math.Abs(estimate - upLeft);
        if (distanceLeft <= distanceUp && distanceLeft <= distanceUpLeft)
        {
            return left;
        }

        return distanceUp <= distanceUpLeft ? up : upLeft;
    }

    /// <summary>Walks length-type-data-CRC chunks, checking each CRC.</summary>
    private ref struct ChunkReader(ReadOnlySpan<byte> chunks)
    {
        private ReadOnlySpan<byte> _rest = chunks;

        public bool TryRead(out string type, out ReadOnlySpan<byte> data)
        {
            if (_rest.IsEmpty)
            {
                type = string.Empty;
                data = default;
                return false;
            }

            if (_rest.Length < 12)
            {
                throw new InvalidDataException("PNG is truncated inside a chunk header.");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(_rest);
            type = Encoding.ASCII.GetString(_rest.Slice(4, 4));
            if (length > (uint)(_rest.Length - 12))
            {
                throw new InvalidDataException($"PNG chunk '{type}' claims {length} bytes, past the end of the file.");
            }

            ReadOnlySpan<byte> typeAndData = _rest.Slice(4, 4 + (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(_rest[(8 + (int)length)..]);
            uint computed = Crc32.HashToUInt32(typeAndData);
            if (stored != computed)
            {
                throw new InvalidDataException(
                    $"PNG chunk '{type}' CRC mismatch: stored 0x{stored:X8}, computed 0x{computed:X8}.");
            }

            data = typeAndData[4..];
            _rest = _rest[(12 + (int)length)..];
            return true;
        }
    }
}
