using OrleansFlow.Formats;
using OrleansFlow.Ids;

namespace OrleansFlow.Client.Evaluation;

/// <summary>A row's first samples as one PNG (8 per line, enlarged so 8×8 or 28×28 images can be looked at).</summary>
internal static class SampleGrid
{
    public const int MaxSamples = 64;
    private const int TargetTile = 84;

    public static byte[] Png(float[] samples, Resolution shape)
    {
        var count = Math.Min(MaxSamples, samples.Length / shape.Elements);
        var channels = SampleImage.Channels(shape);
        var images = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var hwc = new byte[shape.Height * shape.Width * channels];
            SampleImage.ToHwc(samples.AsSpan(i * shape.Elements, shape.Elements), shape, hwc);
            images.Add(hwc);
        }

        var scale = Math.Max(1, TargetTile / Math.Max(shape.Height, shape.Width));
        var (grid, width, height) = ImageGrid.Compose(images, shape.Width, shape.Height, channels, columns: 8, scale: scale);
        return Formats.Png.Encode(grid, width, height, channels);
    }
}
