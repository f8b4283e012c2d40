namespace OrleansFlow.Models;

/// <summary>Resolves the <c>--model</c> names: <c>gmm-demo</c> and <c>gmm:&lt;path.json&gt;</c>.</summary>
public static class ModelCatalog
{
    public const string Allowed = "gmm-demo or gmm:<path.json>";
    private const string MixturePrefix = "gmm:";

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

        throw new SpecException("model", $"unknown model '{name}': use {Allowed}");
    }
}
