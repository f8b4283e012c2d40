using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansFlow.Torch;

namespace OrleansFlow.Models.Registry;

/// <summary>
/// A registry model package must hold every file its <c>model.json</c> names: a package copied onto
/// another node has nothing beside it, and a name like <c>../x</c> read on a silo would leave the cache.
/// </summary>
public static class SelfContainedPackage
{
    /// <summary>Throws <see cref="SpecException"/> naming the first file of <c>model.json</c> outside <paramref name="directory"/>.</summary>
    public static void Require(string directory, string what)
    {
        if (Outside(directory).FirstOrDefault() is { Key: { } key })
        {
            throw new SpecException("model", $"{what}: {ModelPackage.ManifestFile} files.{key} is outside the package; a registry package holds all its files (copy it in)");
        }
    }

    /// <summary>
    /// For a push: <paramref name="directory"/> itself when it holds every file it names, else a copy in a
    /// fresh folder under <paramref name="staging"/> with each outside file copied in under its file name and
    /// <c>model.json</c> naming it there — the shipped digits packages share <c>../digits-fid/features.pt</c>.
    /// Refuses a file name the package already uses for other bytes, or two outside files of one name.
    /// </summary>
    public static string Gather(string directory, string staging)
    {
        var outside = Outside(directory);
        if (outside.Count == 0)
        {
            return directory;
        }

        var copy = Path.Combine(staging, Guid.NewGuid().ToString("N"));
        CopyDirectory(directory, copy);
        var manifestPath = Path.Combine(copy, ModelPackage.ManifestFile);
        var manifest = JsonNode.Parse(File.ReadAllBytes(manifestPath))!.AsObject();
        var files = manifest["files"]!.AsObject();
        foreach (var (key, source) in outside)
        {
            var name = Path.GetFileName(source);
            var target = Path.Combine(copy, name);
            if (File.Exists(target) && !File.ReadAllBytes(target).AsSpan().SequenceEqual(File.ReadAllBytes(source)))
            {
                throw new SpecException("model", $"'{directory}': {ModelPackage.ManifestFile} files.{key} is outside the package, and the package already has another '{name}': copy it in under a new name");
            }

            File.Copy(source, target, overwrite: true);
            files[key] = name;
        }

        File.WriteAllText(manifestPath, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return copy;
    }

    /// <summary>The <c>model.json</c> files (key, full path) that lie outside <paramref name="directory"/>.</summary>
    private static List<KeyValuePair<string, string>> Outside(string directory)
    {
        var package = ModelPackage.Read(directory);
        var root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var files = new[] { ("predictor", package.Predictor), ("refiner", package.Refiner), ("decoder", package.Decoder), ("features", package.Features) };
        return [.. files
            .Where(f => f.Item2 is not null && !Path.GetFullPath(f.Item2).StartsWith(root, StringComparison.Ordinal))
            .Select(f => KeyValuePair.Create(f.Item1, Path.GetFullPath(f.Item2!)))];
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
