using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansFlow.Storage;

namespace OrleansFlow.Models.Registry;

/// <summary>
/// <c>&lt;prefix&gt;/&lt;name&gt;/manifest.json</c>: what a registry entry holds. It is written last and
/// create-only, so an entry exists exactly when its manifest does, and its files never change after.
/// </summary>
public sealed record RegistryManifest
{
    public const string CurrentFormat = "orleansflow-registry/1";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string Format { get; init; } = CurrentFormat;

    public required RegistryKind Kind { get; init; }

    public required string Name { get; init; }

    public required DateTimeOffset PushedAt { get; init; }

    /// <summary>
    /// The folder of this push under the entry: each push uploads into a fresh one, so an interrupted
    /// or losing concurrent push leaves only unreferenced blobs, never a half-replaced entry.
    /// </summary>
    public required string Upload { get; init; }

    public required IReadOnlyList<RegistryFile> Files { get; init; }

    [JsonIgnore]
    public long TotalBytes => Files.Sum(f => f.Size);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>
    /// Reads a manifest and checks what a cache will trust: the format, and that every file path is a
    /// relative path that stays inside the entry (a manifest is data from the store, not from us).
    /// </summary>
    public static RegistryManifest Parse(ReadOnlySpan<byte> json, string blobName)
    {
        RegistryManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<RegistryManifest>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"registry manifest '{blobName}' is not valid: {e.Message.Split('\n')[0]}");
        }

        if (manifest is null || manifest.Format != CurrentFormat || manifest.Files is not { Count: > 0 })
        {
            throw new InvalidDataException($"registry manifest '{blobName}' is not a {CurrentFormat} manifest with files");
        }

        if (manifest.Upload is not { Length: > 0 } || manifest.Upload.Contains('/', StringComparison.Ordinal) || manifest.Upload.Contains("..", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"registry manifest '{blobName}': upload must be one folder name");
        }

        foreach (var file in manifest.Files)
        {
            try
            {
                BlobName.Validate(file.Path);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"registry manifest '{blobName}': file {e.Message}");
            }

            if (file.Size < 0 || file.Sha256 is not { Length: 64 } || !file.Sha256.All(char.IsAsciiHexDigitLower))
            {
                throw new InvalidDataException($"registry manifest '{blobName}': file '{file.Path}' needs a size >= 0 and a lower-case hex sha256");
            }
        }

        return manifest;
    }
}
