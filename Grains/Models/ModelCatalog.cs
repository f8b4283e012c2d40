using OrleansFlow.Torch;

namespace OrleansFlow.Models;

/// <summary>
/// Resolves the <c>--model</c> names: <c>gmm-demo</c>, <c>gmm:&lt;path.json&gt;</c> and a model package
/// directory (<c>model.json</c> + TorchScript files, run on libtorch; see <see cref="ModelPackage"/>).
/// </summary>
public static class ModelCatalog
{
    public const string Allowed = "gmm-demo, gmm:<path.json> or a model package directory (with model.json)";
    public const string MixturePrefix = "gmm:";

    public static IFlowModel Load(string name)
    {
        if (string.Equals(name, GmmDemo.Name, StringComparison.OrdinalIgnoreCase))
        {
            return GmmDemo.Create();
        }

        if (name.StartsWith(MixturePrefix, StringComparison.OrdinalIgnoreCase))
        {
            var path = name[MixturePrefix.Length..];
            if (!File.Exists(path))
            {
                throw new SpecException("model", $"mixture file '{path}' does not exist");
            }

            return GaussianMixtureJson.Load(path, name);
        }

        if (ModelPackage.IsPackage(name))
        {
            try
            {
                return TorchFlowModel.Load(name);
            }
            catch (TorchException e)
            {
                // The shim or libtorch is missing or the device is unavailable: say so on one line.
                throw new SpecException("model", $"{name}: {e.Message}");
            }
        }

        if (Directory.Exists(name))
        {
            throw new SpecException("model", $"'{name}' is a directory without {ModelPackage.ManifestFile}: a model package needs one");
        }

        throw new SpecException("model", $"unknown model '{name}': use {Allowed}");
    }
}
