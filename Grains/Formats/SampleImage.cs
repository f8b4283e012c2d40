using OrleansFlow.Ids;

namespace OrleansFlow.Formats;

/// <summary>A generated sample as an image: gray stays gray, three or more channels keep the first three as RGB.</summary>
public static class SampleImage
{
    public static int Channels(Resolution shape) => shape.Channels == 1 ? 1 : 3;

    /// <summary>The sample as uint8 HWC by <see cref="ImageQuantizer"/>'s rule.</summary>
    public static void ToHwc(ReadOnlySpan<float> sample, Resolution shape, Span<byte> hwc)
    {
        var channels = Channels(shape);
        ImageQuantizer.ToHwc(sample[..(channels * shape.Height * shape.Width)], channels, shape.Height, shape.Width, hwc);
    }

    public static byte[] ToPng(ReadOnlySpan<float> sample, Resolution shape)
    {
        var hwc = new byte[shape.Height * shape.Width * Channels(shape)];
        ToHwc(sample, shape, hwc);
        return Png.Encode(hwc, shape.Width, shape.Height, Channels(shape));
    }
}
