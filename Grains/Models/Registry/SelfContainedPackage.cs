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
        var package = ModelPackage.Read(directory);
        var root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var files = new[] { ("predictor", package.Predictor), ("refiner", package.Refiner), ("decoder", package.Decoder), ("features", package.Features) };
        foreach (var (key, path) in files)
        {
            if (path is not null && !Path.GetFullPath(path).StartsWith(root, StringComparison.Ordinal))
            {
                throw new SpecException("model", $"{what}: {ModelPackage.ManifestFile} files.{key} is outside the package; a registry package holds all its files (copy it in)");
            }
        }
    }
}
