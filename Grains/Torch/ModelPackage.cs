using System.Globalization;
using System.Text.Json;
using OrleansFlow.Ids;

namespace OrleansFlow.Torch;

/// <summary>
/// A model package: a directory with <c>model.json</c> and TorchScript files. The manifest:
/// <code>
/// {
///   "format": "orleansflow-model/1",
///   "name": "sit-xl-2-256",                 // optional; defaults to the directory name
///   "kind": "velocity",                      // the predictor returns a velocity (the only kind)
///   "input_shape": [4, 32, 32],              // one sample as the sampler integrates it (C, H, W)
///   "classes": 1000,                         // 0 = unconditional: forward takes no label
///   "null_class": 1000,                      // the label the model was trained to read as "no class"
///   "time_convention": "sit",                // sit | instaflow | rectifiedflow (see TimeConvention)
///   "latent_scale": 0.18215,                 // the decoder receives x / latent_scale
///   "output_shape": [3, 256, 256],           // decoded sample; required with a decoder
///   "files": { "predictor": "predictor.pt", "refiner": "refiner.pt", "decoder": "decoder.pt",
///              "features": "inception.pt" }  // all but predictor optional
/// }
/// </code>
/// Calling conventions of the TorchScript files (float32 unless noted, N = batch):
/// predictor <c>forward(x[N,C,H,W], t[N], label int64[N]) → v[N,C,H,W]</c>;
/// refiner <c>forward(x, t[N], v_prev[N,C,H,W], label) → Δv[N,C,H,W]</c> (FlowTurbo: v ≈ v_prev + Δv);
/// unconditional models (<c>classes</c> = 0) omit the label argument;
/// decoder <c>forward(z[N,C,H,W]) → image[N,output_shape]</c> in [-1, 1];
/// features <c>forward(image[N,3,299,299] in [-1,1]) → f[N,D]</c>, or at the samples' own shape when the file declares
/// the native input (see <see cref="TorchFeatureExtractor"/>).
/// t is the model's own time (<c>time_convention</c> maps OrleansFlow's t to it).
/// </summary>
public sealed record ModelPackage
{
    public const string ManifestFile = "model.json";
    public const string Format = "orleansflow-model/1";

    public required string Directory { get; init; }

    public required string Name { get; init; }

    public required Resolution InputShape { get; init; }

    public required int Classes { get; init; }

    public required int NullClass { get; init; }

    public required TimeConvention Time { get; init; }

    public double LatentScale { get; init; } = 1;

    public Resolution? OutputShape { get; init; }

    public required string Predictor { get; init; }

    public string? Refiner { get; init; }

    public string? Decoder { get; init; }

    public string? Features { get; init; }

    public static bool IsPackage(string path) => System.IO.Directory.Exists(path) && File.Exists(Path.Combine(path, ManifestFile));

    /// <summary>Reads and checks <c>model.json</c>; every problem is a <see cref="SpecException"/> naming the file and field.</summary>
    public static ModelPackage Read(string directory)
    {
        var manifest = Path.Combine(directory, ManifestFile);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(manifest));
            root = document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw Error(manifest, $"cannot read: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Error(manifest, "must be a JSON object");
        }

        var format = OptionalString(root, manifest, "format") ?? Format;
        if (format != Format)
        {
            throw Error(manifest, $"format '{format}' is not supported: expected {Format}");
        }

        var kind = OptionalString(root, manifest, "kind") ?? "velocity";
        if (kind != "velocity")
        {
            throw Error(manifest, $"kind '{kind}' is not supported: the predictor must return a velocity (kind \"velocity\")");
        }

        var classes = OptionalInt(root, manifest, "classes") ?? 0;
        if (classes < 0)
        {
            throw Error(manifest, "classes must be >= 0");
        }

        var nullClass = OptionalInt(root, manifest, "null_class") ?? classes;
        if (classes > 0 && nullClass >= 0 && nullClass < classes)
        {
            throw Error(manifest, $"null_class {nullClass} is one of the classes 0..{classes - 1}");
        }

        var timeName = OptionalString(root, manifest, "time_convention") ?? "sit";
        var time = TimeConvention.Parse(timeName) ?? throw Error(manifest, $"time_convention '{timeName}' is unknown: use {TimeConvention.Allowed}");
        var latentScale = OptionalDouble(root, manifest, "latent_scale") ?? 1;
        if (!(latentScale > 0) || !double.IsFinite(latentScale))
        {
            throw Error(manifest, "latent_scale must be a positive number");
        }

        if (!root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Object)
        {
            throw Error(manifest, "files must be an object with at least \"predictor\"");
        }

        var decoder = PackageFile(directory, manifest, files, "decoder", required: false);
        var outputShape = root.TryGetProperty("output_shape", out _) ? Shape(root, manifest, "output_shape") : (Resolution?)null;
        if (decoder is not null && outputShape is null)
        {
            throw Error(manifest, "output_shape is required when files.decoder is given");
        }

        return new ModelPackage
        {
            Directory = Path.GetFullPath(directory),
            Name = OptionalString(root, manifest, "name") ?? new DirectoryInfo(directory).Name,
            InputShape = Shape(root, manifest, "input_shape"),
            Classes = classes,
            NullClass = nullClass,
            Time = time,
            LatentScale = latentScale,
            OutputShape = decoder is null ? null : outputShape,
            Predictor = PackageFile(directory, manifest, files, "predictor", required: true)!,
            Refiner = PackageFile(directory, manifest, files, "refiner", required: false),
            Decoder = decoder,
            Features = PackageFile(directory, manifest, files, "features", required: false),
        };
    }

    private static string? PackageFile(string directory, string manifest, JsonElement files, string key, bool required)
    {
        if (!files.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw Error(manifest, $"files.{key} is required") : null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            throw Error(manifest, $"files.{key} must be a file name");
        }

        var path = Path.GetFullPath(Path.Combine(directory, value.GetString()!));
        return File.Exists(path) ? path : throw Error(manifest, $"files.{key}: '{path}' does not exist");
    }

    private static Resolution Shape(JsonElement root, string manifest, string key)
    {
        if (!root.TryGetProperty(key, out var value) || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 3
            || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < 1))
        {
            throw Error(manifest, $"{key} must be [channels, height, width] of positive integers");
        }

        var dims = value.EnumerateArray().Select(v => v.GetInt32()).ToArray();
        return new Resolution(dims[0], dims[1], dims[2]);
    }

    private static string? OptionalString(JsonElement root, string manifest, string key) =>
        !root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString() : throw Error(manifest, $"{key} must be a string");

    private static int? OptionalInt(JsonElement root, string manifest, string key) =>
        !root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : throw Error(manifest, $"{key} must be an integer");

    private static double? OptionalDouble(JsonElement root, string manifest, string key) =>
        !root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Error(manifest, $"{key} must be a number");

    private static SpecException Error(string manifest, string message) =>
        new("model", string.Create(CultureInfo.InvariantCulture, $"{manifest}: {message}"));
}
