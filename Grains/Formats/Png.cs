using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace OrleansFlow.Formats;

/// <summary>
/// PNG (ISO/IEC 15948) through SixLabors.ImageSharp: writes 8-bit grayscale or RGB without ancillary
/// chunks; reads any 8-bit PNG that decodes losslessly to bytes (grayscale, RGB, RGBA, palette as RGBA),
/// with every critical chunk's CRC verified by the decoder. Pixel values are copied, never converted,
/// so what is read back is byte-for-byte what was written (PngTests compares with Python's zlib).
/// </summary>
public static class Png
{
    // Filter type 0 on every row keeps the file a plain zlib stream of the pixel rows (readable without
    // unfiltering); adaptive filters would only make the files smaller.
    private static readonly PngEncoder GrayEncoder = Encoder(PngColorType.Grayscale);
    private static readonly PngEncoder RgbEncoder = Encoder(PngColorType.Rgb);

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes an HWC image with 1 (grayscale) or 3 (RGB) channels as a PNG.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> hwc, int width, int height, int channels)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "PNG output has 1 or 3 channels.");
        }

        long needed = (long)width * height * channels;
        if (hwc.Length != needed)
        {
            throw new ArgumentException($"Image holds {hwc.Length} bytes, but {height}×{width}×{channels} needs {needed}.", nameof(hwc));
        }

        if (channels == 1)
        {
            using var gray = Image.LoadPixelData<L8>(hwc, width, height);
            gray.Save(stream, GrayEncoder);
        }
        else
        {
            using var rgb = Image.LoadPixelData<Rgb24>(hwc, width, height);
            rgb.Save(stream, RgbEncoder);
        }
    }

    /// <summary>The PNG bytes of an HWC image, as <see cref="Write"/> writes them.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> hwc, int width, int height, int channels)
    {
        using var buffer = new MemoryStream();
        Write(buffer, hwc, width, height, channels);
        return buffer.ToArray();
    }

    /// <summary>
    /// Decodes an 8-bit PNG to HWC bytes: grayscale as 1 channel, RGB as 3, RGBA and palette images as 4.
    /// Anything else (16-bit samples, gray with alpha), a corrupt file or a CRC mismatch throws
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public static PngImage Decode(ReadOnlySpan<byte> png)
    {
        // ImageSharp's PNG decoder, called directly, skips the signature without looking at it.
        if (!png.StartsWith(Signature))
        {
            throw new InvalidDataException("Not a PNG: the 8-byte signature is missing.");
        }

        Image image;
        try
        {
            image = Image.Load(png, new PngDecoder());
        }
        catch (ImageFormatException e)
        {
            throw new InvalidDataException($"Not a readable PNG: {e.Message}", e);
        }

        using (image)
        {
            return image switch
            {
                Image<L8> gray => Pixels(gray, 1),
                Image<Rgb24> rgb => Pixels(rgb, 3),
                Image<Rgba32> rgba => Pixels(rgba, 4),
                _ => throw new InvalidDataException(
                    $"PNG pixel format {image.PixelType.BitsPerPixel}-bit ({image.GetType().GenericTypeArguments[0].Name}) is not supported " +
                    "(only 8-bit grayscale, RGB, RGBA or palette)."),
            };
        }
    }

    private static PngImage Pixels<TPixel>(Image<TPixel> image, int channels)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var pixels = new TPixel[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return new PngImage(image.Width, image.Height, channels, MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray());
    }

    private static PngEncoder Encoder(PngColorType colorType) => new()
    {
        ColorType = colorType,
        BitDepth = PngBitDepth.Bit8,
        FilterMethod = PngFilterMethod.None,
        ChunkFilter = PngChunkFilter.ExcludeAll,
        CompressionLevel = PngCompressionLevel.DefaultCompression,
    };
}
