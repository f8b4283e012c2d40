namespace OrleansFlow.Formats;

/// <summary>
/// The one rule that turns model outputs in [-1, 1] into 8-bit pixels:
/// <c>q(x) = clamp(floor(127.5·x + 128), 0, 255)</c>, evaluated in float32.
/// </summary>
/// <remarks>
/// <para>
/// This is the EDM and SiT rule: EDM <c>generate.py</c>
/// <c>(images * 127.5 + 128).clip(0, 255).to(torch.uint8)</c>, SiT <c>sample_ddp.py</c>
/// <c>torch.clamp(127.5 * samples + 128.0, 0, 255)</c> then a uint8 cast. It rounds 127.5·(x+1)
/// half up, so -1 → 0, 0 → 128, 1 → 255, and every level covers an interval of width 2/255 (the two
/// end levels half of one inside [-1, 1], plus whatever is clamped). ADM's <c>image_sample.py</c>
/// computes <c>((x+1)*127.5).clamp(0,255).to(uint8)</c> instead, which truncates (0 → 127, and only
/// exactly 1 gives 255); RectifiedFlow's <c>np.clip(x*255,0,255).astype(uint8)</c> truncates too.
/// We follow EDM/SiT: FID numbers are most often compared with theirs, and rounding is unbiased.
/// </para>
/// <para>
/// The arithmetic is float32 with one rounding per operation (no fused multiply-add), as PyTorch
/// and NumPy evaluate the expression on float32 tensors, so our pixels agree with theirs bit for bit.
/// </para>
/// <para>
/// NaN has no place on the number line for the clamp to put it, and the reference expression
/// leaves it to the float→uint8 cast, which C and NumPy leave undefined. We map it to 0 (what
/// NumPy's cast gives on x86-64): a diverged sample then shows up black and reproducibly, instead
/// of as whatever a platform's cast happens to produce.
/// </para>
/// </remarks>
public static class ImageQuantizer
{
    /// <summary>The rule as recorded in summaries.</summary>
    public const string Rule = "uint8 = clamp(floor(127.5*x + 128), 0, 255) in float32 (EDM/SiT rounding)";

    /// <summary>Quantizes one value by the rule above.</summary>
    public static byte Quantize(float x)
    {
        float level = (x * 127.5f) + 128f;
        if (!(level >= 0f))
        {
            return 0; // below the range, or NaN
        }

        // Truncation is floor here because level is non-negative.
        return level >= 255f ? (byte)255 : (byte)level;
    }

    /// <summary>
    /// Quantizes a CHW image (C = 1 or 3) into interleaved HWC bytes with the same channel count,
    /// the layout PNG and NumPy image arrays use.
    /// </summary>
    public static void ToHwc(ReadOnlySpan<float> chw, int channels, int height, int width, Span<byte> hwc) =>
        Interleave(chw, channels, height, width, hwc, outputChannels: channels);

    /// <summary>
    /// Quantizes a CHW image into HWC RGB bytes, replicating a single channel three times: the ADM
    /// evaluator's <c>arr_0</c> is always N×H×W×3.
    /// </summary>
    public static void ToRgbHwc(ReadOnlySpan<float> chw, int channels, int height, int width, Span<byte> rgbHwc) =>
        Interleave(chw, channels, height, width, rgbHwc, outputChannels: 3);

    private static void Interleave(
        ReadOnlySpan<float> chw, int channels, int height, int width, Span<byte> hwc, int outputChannels)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images have 1 or 3 channels.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        int plane = checked(height * width);
        if (chw.Length != checked(channels * plane))
        {
            throw new ArgumentException(
                $"CHW input holds {chw.Length} values, but {channels}×{height}×{width} needs {channels * plane}.",
                nameof(chw));
        }

        if (hwc.Length != checked(outputChannels * plane))
        {
            throw new ArgumentException(
                $"HWC output holds {hwc.Length} bytes, but {height}×{width}×{outputChannels} needs {outputChannels * plane}.",
                nameof(hwc));
        }

        for (int c = 0; c < outputChannels; c++)
        {
            ReadOnlySpan<float> source = chw.Slice((channels == 1 ? 0 : c) * plane, plane);
            for (int pixel = 0; pixel < plane; pixel++)
            {
                hwc[(pixel * outputChannels) + c] = Quantize(source[pixel]);
            }
        }
    }
}
