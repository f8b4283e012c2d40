using OrleansFlow.Testing;
using System.Runtime.InteropServices;
using OrleansFlow.Formats;

namespace OrleansFlow.Grains.Tests.Formats;

public sealed class ImageQuantizerTests
{
    [Theory]
    [InlineData(-1f, 0)]
    [InlineData(0f, 128)] // round half up: 127.5·(0+1) = 127.5 → 128 (ADM's truncation gives 127)
    [InlineData(1f, 255)]
    [InlineData(-0.9961f, 0)] // level 1 starts at 127.5x + 128 = 1, x = -0.996078...
    [InlineData(-0.9960f, 1)]
    [InlineData(0.0078f, 128)] // level 129 starts at x = 1/127.5 = 0.0078431...
    [InlineData(0.00785f, 129)]
    [InlineData(0.9960f, 254)] // level 255 starts at x = 127/127.5 = 0.996078...
    [InlineData(0.9961f, 255)]
    [InlineData(-1.5f, 0)]
    [InlineData(1.5f, 255)]
    [InlineData(-1e30f, 0)]
    [InlineData(1e30f, 255)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    public void Quantize_Value_GivesLevel(float x, int level)
    {
        Assert.Equal(level, ImageQuantizer.Quantize(x));
    }

    [Fact]
    public void Quantize_NaN_IsZero()
    {
        Assert.Equal(0, ImageQuantizer.Quantize(float.NaN));
    }

    [Fact]
    public async Task Quantize_ThresholdsAndRandomValues_MatchNumpyFloat32Expression()
    {
        float[] values = ValuesAroundEveryThreshold().Concat(RandomValues(2000)).ToArray();
        byte[] ours = values.Select(ImageQuantizer.Quantize).ToArray();

        string numpy = await DebianPython.RunWithInputAsync(
            """
            import sys, numpy as np
            x = np.frombuffer(sys.stdin.buffer.read(), dtype='<f4')
            y = x * 127.5 + 128  # EDM generate.py, evaluated in float32
            assert y.dtype == np.float32
            print(y.clip(0, 255).astype(np.uint8).tobytes().hex())
            """,
            MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

        Assert.Equal(Convert.ToHexStringLower(ours), numpy.Trim());
    }

    [Fact]
    public void ToHwc_RgbChw_InterleavesChannels()
    {
        // 3 channels × 1 row × 2 columns: R = (-1, 1), G = (0, 0), B = (1, -1).
        float[] chw = [-1f, 1f, 0f, 0f, 1f, -1f];
        var hwc = new byte[6];

        ImageQuantizer.ToHwc(chw, channels: 3, height: 1, width: 2, hwc);

        Assert.Equal([0, 128, 255, 255, 128, 0], hwc);
    }

    [Fact]
    public void ToHwc_Grayscale_KeepsOneChannel()
    {
        var hwc = new byte[2];

        ImageQuantizer.ToHwc([-1f, 1f], channels: 1, height: 2, width: 1, hwc);

        Assert.Equal([0, 255], hwc);
    }

    [Fact]
    public void ToRgbHwc_Grayscale_ReplicatesChannelThreeTimes()
    {
        var rgb = new byte[6];

        ImageQuantizer.ToRgbHwc([-1f, 0f], channels: 1, height: 1, width: 2, rgb);

        Assert.Equal([0, 0, 0, 128, 128, 128], rgb);
    }

    [Fact]
    public void ToRgbHwc_Rgb_EqualsToHwc()
    {
        float[] chw = RandomValues(3 * 4 * 5).ToArray();
        var expected = new byte[chw.Length];
        var rgb = new byte[chw.Length];

        ImageQuantizer.ToHwc(chw, 3, 4, 5, expected);
        ImageQuantizer.ToRgbHwc(chw, 3, 4, 5, rgb);

        Assert.Equal(expected, rgb);
    }

    [Fact]
    public void ToHwc_OutputOfWrongLength_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => ImageQuantizer.ToHwc(new float[12], 3, 2, 2, new byte[11]));

        Assert.Contains("needs 12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHwc_TwoChannels_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageQuantizer.ToHwc(new float[8], 2, 2, 2, new byte[8]));
    }

    /// <summary>For each level boundary x = (k − 128)/127.5, the floats a few ulps either side.</summary>
    private static IEnumerable<float> ValuesAroundEveryThreshold()
    {
        for (int k = 0; k <= 256; k++)
        {
            float below = (float)((k - 128) / 127.5);
            float above = below;
            yield return below;
            for (int ulps = 1; ulps <= 4; ulps++)
            {
                below = MathF.BitDecrement(below);
                above = MathF.BitIncrement(above);
                yield return below;
                yield return above;
            }
        }
    }

    private static IEnumerable<float> RandomValues(int count)
    {
        var random = new Random(20240607);
        for (int i = 0; i < count; i++)
        {
            yield return (float)((random.NextDouble() * 2.4) - 1.2);
        }
    }
}
