using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using OrleansFlow.Formats;
using OrleansFlow.Statistics;

namespace OrleansFlow.Torch;

/// <summary>
/// FID features from a user-supplied TorchScript network, fed in one of two ways:
/// <list type="bullet">
/// <item><b>inception-299</b> (the default): an Inception v3 such as pytorch-fid's <c>InceptionV3</c>
/// with <c>resize_input=False, normalize_input=False</c> exported by <c>tools/export_model_package.py
/// inception</c>: <c>forward(x[N,3,299,299] in [-1,1]) → f[N,2048]</c> (or N×2048×1×1).</item>
/// <item><b>native</b>: a network made for the samples' own resolution (e.g. the FID-digits classifier
/// of <c>tools/train_digits.py</c>: <c>forward(x[N,1,8,8] in [-1,1]) → f[N,64]</c>); resizing 8×8 digits
/// to 299×299 for an ImageNet network would measure nothing useful.</item>
/// </list>
/// The file says which: a TorchScript archive may carry extra files (<c>torch.jit.save(...,
/// _extra_files=...)</c>), and <c>extra/orleansflow_features.json</c> = <c>{"input": "native"}</c>
/// selects the native input; without it the file is taken for an Inception. Nothing is downloaded.
/// <para>
/// A network for the whole evaluation suite declares its outputs in the same file:
/// <c>{"input": ..., "outputs": ["pool", "spatial", "logits"]}</c> (a subset, in this order, "pool"
/// first), and its forward returns a tuple/list with those outputs in that order or a dict with those
/// keys: pooled features (FID, precision/recall, KID), spatial features (sFID) and class logits (IS),
/// each flattened per sample. <c>tools/export_eval_inception.py</c> and <c>tools/export_digits_eval.py</c>
/// write such files.
/// </para>
/// </summary>
/// <remarks>
/// Preprocessing, one rule for both inputs up to the resize: every sample in [-1,1] is quantised to
/// uint8 by <see cref="ImageQuantizer.Rule"/>, then u/255. Inception (pytorch-fid's <c>fid_score.py</c>
/// feeds <c>ToTensor()</c> images in [0,1]; <c>InceptionV3.forward</c> resizes and normalises): gray is
/// replicated to RGB, bilinear resize to 299×299 (align_corners=False), then 2x − 1. Native: the
/// samples' channels at their resolution, then 2x − 1.
/// </remarks>
public sealed class TorchFeatureExtractor : IFeatureExtractor, IDisposable
{
    public const int InceptionSize = 299;

    /// <summary>The extra file inside the TorchScript archive that declares the input.</summary>
    public const string ExtraFile = "orleansflow_features.json";

    private static readonly ConcurrentDictionary<(string Path, DateTime Written, long Length, Ids.Resolution Shape), Lazy<TorchFeatureExtractor>> SharedExtractors = new();

    private readonly TorchModule _module;
    private readonly TorchTensorBackend _backend;
    private readonly Ids.Resolution _sampleShape;
    private readonly IReadOnlyList<string>? _outputs;

    private TorchFeatureExtractor(TorchModule module, TorchTensorBackend backend, Ids.Resolution sampleShape, FeatureInput input, IReadOnlyList<string>? outputs, FeatureLayout layout)
    {
        _module = module;
        _backend = backend;
        _sampleShape = sampleShape;
        _outputs = outputs;
        Input = input;
        Layout = layout;
        Dimension = layout.Pool;
        var file = Path.GetFileName(module.Path);
        Name = input == FeatureInput.Native ? $"torchscript-native:{file}" : $"torchscript-inception:{file}";
    }

    public FeatureInput Input { get; }

    public int Dimension { get; }

    public FeatureLayout Layout { get; }

    public string Name { get; }

    public string? NetworkFile => _module.Path;

    public string? NetworkDevice => _backend.Device;

    public string Preprocessing => Input == FeatureInput.Native
        ? $"samples in [-1,1] -> uint8 by '{ImageQuantizer.Rule}' -> u/255 -> 2x-1 at the samples' own " +
          $"{_sampleShape.Channels}x{_sampleShape.Height}x{_sampleShape.Width} (no resize; input 'native' declared by the file); " +
          $"features of {Path.GetFullPath(_module.Path)}"
        : $"samples in [-1,1] -> uint8 by '{ImageQuantizer.Rule}' (1 channel replicated to RGB) -> u/255 -> " +
          $"bilinear resize {_sampleShape.Height}x{_sampleShape.Width} -> {InceptionSize}x{InceptionSize} (align_corners=False, libtorch interpolate) -> 2x-1 " +
          $"(pytorch-fid InceptionV3 resize_input + normalize_input); features of {Path.GetFullPath(_module.Path)}";

    /// <summary>
    /// One loaded extractor per (file, version, sample shape) for the life of the process: every shard
    /// of every job uses the same warm module instead of loading and freezing it again (forward calls
    /// on one module are safe from many threads, see native/README.md).
    /// </summary>
    public static TorchFeatureExtractor Shared(string path, Ids.Resolution sampleShape)
    {
        var file = new FileInfo(path);
        var key = (file.FullName, file.LastWriteTimeUtc, file.Length, sampleShape);
        var loaded = SharedExtractors.GetOrAdd(key, _ => new Lazy<TorchFeatureExtractor>(() => Load(path, sampleShape)));
        try
        {
            return loaded.Value;
        }
        catch
        {
            // A failed load is not kept: the next job tries again (the file may have been fixed).
            SharedExtractors.TryRemove(new KeyValuePair<(string, DateTime, long, Ids.Resolution), Lazy<TorchFeatureExtractor>>(key, loaded));
            throw;
        }
    }

    /// <summary>Loads the module and runs it once on a blank input to learn (and check) its feature dimension.</summary>
    public static TorchFeatureExtractor Load(string path, Ids.Resolution sampleShape, string? device = null)
    {
        var (input, outputs) = ReadDeclaration(path);
        if (input == FeatureInput.Inception299 && sampleShape.Channels is not (1 or 3))
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

        long[] probeShape = input == FeatureInput.Native
            ? [1, sampleShape.Channels, sampleShape.Height, sampleShape.Width]
            : [1, 3, InceptionSize, InceptionSize];
        var described = string.Join('×', probeShape.Skip(1));
        try
        {
            var backend = new TorchTensorBackend(device);
            using var probe = backend.UploadFloats(new float[probeShape.Skip(1).Aggregate(1L, (a, b) => a * b)], probeShape);
            if (outputs is not null)
            {
                var (rows, widths) = module.ForwardRows(outputs, probe);
                rows.Dispose();
                var width = (string name) => outputs.Contains(name) ? (int)widths[outputs.IndexOf(name)] : 0;
                return new TorchFeatureExtractor(module, backend, sampleShape, input, outputs, new FeatureLayout(width("pool"), width("spatial"), width("logits")));
            }

            using var output = module.Forward(probe);
            var dims = TorchTensorBackend.ShapeOf(output);
            var dimension = dims.Length >= 2 && dims[0] == 1 && dims.Skip(2).All(d => d == 1) ? (int)dims[1] : 0;
            if (dimension < 1)
            {
                throw new SpecException("features", $"{path} returned {TorchModule.Describe(dims)} for one {described} image; expected [1, D] or [1, D, 1, 1]");
            }

            return new TorchFeatureExtractor(module, backend, sampleShape, input, null, new FeatureLayout(dimension, 0, 0));
        }
        catch (TorchException e)
        {
            module.Dispose();
            throw new SpecException("features", $"{path} does not take [N, {string.Join(", ", probeShape.Skip(1))}] images: {e.Message}");
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>The input the archive declares in <see cref="ExtraFile"/>; Inception when it declares none.</summary>
    public static FeatureInput ReadInput(string path) => ReadDeclaration(path).Input;

    /// <summary>The input and (for a multi-output network) the outputs the archive declares in <see cref="ExtraFile"/>.</summary>
    public static (FeatureInput Input, List<string>? Outputs) ReadDeclaration(string path)
    {
        try
        {
            using var archive = ZipFile.OpenRead(path);
            var entry = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("/extra/" + ExtraFile, StringComparison.Ordinal));
            if (entry is null)
            {
                return (FeatureInput.Inception299, null);
            }

            using var stream = entry.Open();
            using var document = JsonDocument.Parse(stream);
            var input = document.RootElement.TryGetProperty("input", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            var declared = input switch
            {
                "native" => FeatureInput.Native,
                "inception-299" => FeatureInput.Inception299,
                _ => throw new SpecException("features", $"{path}: extra/{ExtraFile} has input '{input}': allowed native, inception-299"),
            };
            return (declared, ReadOutputs(document.RootElement, path));
        }
        catch (Exception e) when (e is InvalidDataException or JsonException)
        {
            // Not a zip archive or a broken extra file: let the TorchScript loader report the file.
            return (FeatureInput.Inception299, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpecException("features", $"cannot read '{path}': {e.Message}");
        }
    }

    public void Extract(ReadOnlySpan<float> samples, int count, Span<float> features)
    {
        if (Layout.Width == Dimension)
        {
            ExtractAll(samples, count, features);
            return;
        }

        var rows = new float[(long)count * Layout.Width];
        ExtractAll(samples, count, rows);
        for (var i = 0; i < count; i++)
        {
            rows.AsSpan(i * Layout.Width, Dimension).CopyTo(features.Slice(i * Dimension, Dimension));
        }
    }

    /// <summary>Pooled features, spatial features and logits side by side, <see cref="Layout"/>.Width floats per sample.</summary>
    public void ExtractAll(ReadOnlySpan<float> samples, int count, Span<float> features)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var (h, w) = (_sampleShape.Height, _sampleShape.Width);
        if (samples.Length != (long)count * _sampleShape.Elements || features.Length != (long)count * Layout.Width)
        {
            throw new ArgumentException($"{count} samples of {_sampleShape} need {count * _sampleShape.Elements} floats in and {count * Layout.Width} out");
        }

        if (count == 0)
        {
            return;
        }

        var channels = Input == FeatureInput.Native ? _sampleShape.Channels : 3;
        var pixels = new float[count * channels * h * w];
        var hwc = new byte[h * w * channels];
        for (var i = 0; i < count; i++)
        {
            var sample = samples.Slice(i * _sampleShape.Elements, _sampleShape.Elements);
            if (Input == FeatureInput.Native)
            {
                ImageQuantizer.ToHwc(sample, channels, h, w, hwc);
            }
            else
            {
                ImageQuantizer.ToRgbHwc(sample, _sampleShape.Channels, h, w, hwc);
            }

            var image = pixels.AsSpan(i * channels * h * w, channels * h * w);
            for (var c = 0; c < channels; c++)
            {
                for (var p = 0; p < h * w; p++)
                {
                    image[c * h * w + p] = hwc[p * channels + c] / 255f;
                }
            }
        }

        using var input = _backend.UploadFloats(pixels, [count, channels, h, w]);
        if (Input == FeatureInput.Native)
        {
            Run(input, features);
            return;
        }

        NativeMethods.ThrowIfFailed(NativeMethods.TensorResizeBilinear(input, InceptionSize, InceptionSize, out var resized));
        using (resized)
        {
            Run(resized, features);
        }
    }

    public void Dispose() => _module.Dispose();

    private void Run(TorchTensorHandle unitRange, Span<float> features)
    {
        NativeMethods.ThrowIfFailed(NativeMethods.TensorAffine(unitRange, 2, -1, out var normalized));
        using (normalized)
        {
            if (_outputs is null)
            {
                using var output = _module.Forward(normalized);
                TorchTensorBackend.DownloadFloats(output, features);
                return;
            }

            var (rows, _) = _module.ForwardRows(_outputs, normalized);
            using (rows)
            {
                TorchTensorBackend.DownloadFloats(rows, features);
            }
        }
    }

    /// <summary>
    /// "outputs": a subset of pool, spatial, logits in that order, pool first; null when not declared
    /// (the module returns the pooled features alone).
    /// </summary>
    private static List<string>? ReadOutputs(JsonElement root, string path)
    {
        if (!root.TryGetProperty("outputs", out var outputs))
        {
            return null;
        }

        string[] order = ["pool", "spatial", "logits"];
        var names = outputs.ValueKind == JsonValueKind.Array
            ? outputs.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : string.Empty).ToList()
            : [];
        var canonical = order.Where(names.Contains).ToList();
        if (names.Count == 0 || names[0] != "pool" || !names.SequenceEqual(canonical))
        {
            throw new SpecException("features", $"{path}: extra/{ExtraFile} has outputs {outputs.GetRawText()}: allowed a list of pool, spatial, logits in that order, pool first");
        }

        return names;
    }
}
