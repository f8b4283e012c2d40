using OrleansFlow.Formats;
using OrleansFlow.Statistics;

namespace OrleansFlow.Torch;

/// <summary>
/// FID features from a user-supplied TorchScript Inception v3 (e.g. pytorch-fid's <c>InceptionV3</c>
/// with <c>resize_input=False, normalize_input=False</c> exported by <c>tools/export_model_package.py
/// inception</c>): <c>forward(x[N,3,299,299] in [-1,1]) → f[N,2048]</c> (or N×2048×1×1).
/// Nothing is downloaded; the file is whatever the user passes.
/// </summary>
/// <remarks>
/// Preprocessing, pytorch-fid's (<c>fid_score.py</c> feeds <c>ToTensor()</c> images in [0,1];
/// <c>InceptionV3.forward</c> resizes and normalises): every sample in [-1,1] is first quantised to
/// uint8 by <see cref="ImageQuantizer.Rule"/> (gray replicated to RGB, as the ADM evaluator's
/// arr_0), then u/255 → bilinear resize to 299×299 (align_corners=False) → 2x − 1.
/// </remarks>
public sealed class TorchInceptionFeatures : IFeatureExtractor, IDisposable
{
    public const int InputSize = 299;

    private readonly TorchModule _module;
    private readonly TorchTensorBackend _backend;
    private readonly Ids.Resolution _sampleShape;

    private TorchInceptionFeatures(TorchModule module, TorchTensorBackend backend, Ids.Resolution sampleShape, int dimension)
    {
        _module = module;
        _backend = backend;
        _sampleShape = sampleShape;
        Dimension = dimension;
        Name = $"torchscript-inception:{Path.GetFileName(module.Path)}";
    }

    public int Dimension { get; }

    public string Name { get; }

    public string Preprocessing =>
        $"samples in [-1,1] -> uint8 by '{ImageQuantizer.Rule}' (1 channel replicated to RGB) -> u/255 -> " +
        $"bilinear resize {_sampleShape.Height}x{_sampleShape.Width} -> {InputSize}x{InputSize} (align_corners=False, libtorch interpolate) -> 2x-1 " +
        $"(pytorch-fid InceptionV3 resize_input + normalize_input); features of {Path.GetFullPath(_module.Path)}";

    /// <summary>Loads the module and runs it once on a blank image to learn (and check) its feature dimension.</summary>
    public static TorchInceptionFeatures Load(string path, Ids.Resolution sampleShape, string? device = null)
    {
        if (sampleShape.Channels is not (1 or 3))
        {
            throw new SpecException("features", $"Inception features need images with 1 or 3 channels; samples are {sampleShape}");
        }

        device ??= TorchFlowModel.DefaultDevice;
        TorchModule module;
        try
        {
            module = TorchModule.Load(path, device);
        }
        catch (TorchException e)
        {
            throw new SpecException("features", e.Message);
        }

        try
        {
            var backend = new TorchTensorBackend(device);
            using var probe = backend.UploadFloats(new float[3 * InputSize * InputSize], [1, 3, InputSize, InputSize]);
            using var output = module.Forward(probe);
            var dims = TorchTensorBackend.ShapeOf(output);
            var dimension = dims.Length >= 2 && dims[0] == 1 && dims.Skip(2).All(d => d == 1) ? (int)dims[1] : 0;
            if (dimension < 1)
            {
                throw new SpecException("features", $"{path} returned {TorchModule.Describe(dims)} for one 3×299×299 image; expected [1, D] or [1, D, 1, 1]");
            }

            return new TorchInceptionFeatures(module, backend, sampleShape, dimension);
        }
        catch (TorchException e)
        {
            module.Dispose();
            throw new SpecException("features", $"{path} does not take [N, 3, 299, 299] images: {e.Message}");
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    public void Extract(ReadOnlySpan<float> samples, int count, Span<float> features)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var (h, w) = (_sampleShape.Height, _sampleShape.Width);
        if (samples.Length != (long)count * _sampleShape.Elements || features.Length != (long)count * Dimension)
        {
            throw new ArgumentException($"{count} samples of {_sampleShape} need {count * _sampleShape.Elements} floats in and {count * Dimension} out");
        }

        if (count == 0)
        {
            return;
        }

        var pixels = new float[count * 3 * h * w];
        var rgb = new byte[h * w * 3];
        for (var i = 0; i < count; i++)
        {
            ImageQuantizer.ToRgbHwc(samples.Slice(i * _sampleShape.Elements, _sampleShape.Elements), _sampleShape.Channels, h, w, rgb);
            var image = pixels.AsSpan(i * 3 * h * w, 3 * h * w);
            for (var c = 0; c < 3; c++)
            {
                for (var p = 0; p < h * w; p++)
                {
                    image[c * h * w + p] = rgb[p * 3 + c] / 255f;
                }
            }
        }

        using var input = _backend.UploadFloats(pixels, [count, 3, h, w]);
        NativeMethods.ThrowIfFailed(NativeMethods.TensorResizeBilinear(input, InputSize, InputSize, out var resized));
        using (resized)
        {
            NativeMethods.ThrowIfFailed(NativeMethods.TensorAffine(resized, 2, -1, out var normalized));
            using (normalized)
            using (var output = _module.Forward(normalized))
            {
                TorchTensorBackend.DownloadFloats(output, features);
            }
        }
    }

    public void Dispose() => _module.Dispose();
}
