using OrleansFlow.Jobs;

namespace OrleansFlow.Models.Registry;

/// <summary>
/// How a silo turns the names of a job into loaded things: a model name into a model (the sampler
/// directory's loader), a features or reference name into a local file. Only names: a path never
/// reaches the file system through here (the API refuses them first; this refuses them again).
/// </summary>
public sealed class RegistryResolver(ModelCache cache)
{
    public ModelCache Cache => cache;

    /// <summary>
    /// <c>gmm-demo</c> or a registry model: a package with <c>model.json</c> (libtorch) or a <c>mixture.json</c>.
    /// Blocking, as the sampler directory's loader is; the download is shared with concurrent callers.
    /// </summary>
    public IFlowModel LoadModel(string model)
    {
        if (string.Equals(model, GmmDemo.Name, StringComparison.OrdinalIgnoreCase))
        {
            return GmmDemo.Create();
        }

        var name = RegistryName.Parse(model, RegistryKind.Model.Field());
        using var entry = cache.AcquireAsync(RegistryKind.Model, name, CancellationToken.None).GetAwaiter().GetResult();
        var mixture = entry.PathOf(ModelRegistry.MixtureFile);
        if (File.Exists(mixture))
        {
            return GaussianMixtureJson.Load(mixture, name.Value);
        }

        // The manifest came from the store: its files must not lead out of the cache.
        SelfContainedPackage.Require(entry.Directory, $"model '{name}'");
        return ModelCatalog.Load(entry.Directory);
    }

    /// <summary>
    /// The spec with its <c>features</c> and <c>reference</c> names replaced by the local files of those
    /// entries (downloaded if needed), for <see cref="ResolvedJob"/>, which reads files.
    /// </summary>
    public JobSpec Localize(JobSpec spec) => spec with
    {
        Features = spec.Features is { } features ? LocalFile(RegistryKind.Features, features) : null,
        Reference = spec.Reference is { } reference ? LocalFile(RegistryKind.Reference, reference) : null,
    };

    /// <summary>A summary made from a <see cref="Localize"/>d spec, told in names again: no cache path reaches a client.</summary>
    public static JobSummary InNames(JobSummary summary, JobSpec named) => summary with
    {
        Spec = named,
        Reference = named.Reference is { } reference ? $"registry reference '{reference}'" : summary.Reference,
    };

    /// <summary>The local file of a features or reference entry (downloaded and checked if needed).</summary>
    public string LocalFile(RegistryKind kind, string text)
    {
        var name = RegistryName.Parse(text, kind.Field());
        using var entry = cache.AcquireAsync(kind, name, CancellationToken.None).GetAwaiter().GetResult();
        return entry.PathOf(entry.Manifest.Files[0].Path);
    }
}
