using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;

namespace OrleansFlow.Cluster;

/// <summary>
/// The embedded CLI's loader. It runs as its user, on that user's files: what exists on disk (a package
/// directory, a features or reference file, a PNG folder) and the built-in models load as
/// <see cref="CatalogModelLoader"/> loads them; any other value is a registry name (docs/models.md),
/// resolved in the local registry when one is configured, as a cluster silo resolves it. Names are
/// fetched into a cache folder of this process (checked against the manifest's sha256), deleted on dispose.
/// </summary>
public sealed class LocalModelLoader : IModelLoader, IDisposable
{
    /// <summary>What to do when a name has no registry to resolve in (one line, for errors).</summary>
    public const string NoRegistryHint =
        "there is no registry here: './orleansflow models list' pushes the shipped digits models into ./store and lists their names; " +
        "'orleansflow models push DIR' adds a package; --registry STORE uses another registry; docs/models.md";

    private readonly Lazy<RegistryResolver>? _registry;
    private readonly string _cacheRoot = Path.Combine(Path.GetTempPath(), $"orleansflow-registry-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <param name="registry">A blob store holding a registry (a local directory, an Azure container URI or connection string), or null.</param>
    public LocalModelLoader(string? registry)
    {
        Registry = registry;
        if (registry is not null)
        {
            _registry = new Lazy<RegistryResolver>(() => new RegistryResolver(
                new ModelCache(new ModelRegistry(BlobStores.Create(registry, RegistrySettings.Container)), new ModelCacheOptions { Root = _cacheRoot })));
        }
    }

    /// <summary>The registry's store, or null when names other than the built-in ones cannot be resolved.</summary>
    public string? Registry { get; }

    /// <summary>
    /// The registry of the environment (<see cref="RegistrySettings"/>), else the directory <c>store</c>
    /// if it exists: unlike <c>models push</c>, a job does not create an empty registry.
    /// </summary>
    public static string? RegistryFromEnvironment() =>
        RegistrySettings.Store ?? (Directory.Exists(RegistrySettings.DefaultDirectory) ? RegistrySettings.DefaultDirectory : null);

    public IFlowModel Load(string model)
    {
        if (IsBuiltIn(model) || ExistsLocally(model))
        {
            return ModelCatalog.Load(model);
        }

        if (_registry is null)
        {
            // A name, but no registry to look it up in: say where names come from rather than only what paths are.
            throw new SpecException("model", $"unknown model '{model}': use {ModelCatalog.Allowed}, or a registry name ({NoRegistryHint})");
        }

        return _registry.Value.LoadModel(model);
    }

    public JobSpec Localize(JobSpec spec) => spec with
    {
        Features = Localize(RegistryKind.Features, spec.Features),
        Reference = Localize(RegistryKind.Reference, spec.Reference),
    };

    public JobSummary InNames(JobSummary summary, JobSpec submitted) =>
        submitted.Reference is { } reference && IsName(reference)
            ? summary with { Spec = submitted, Reference = $"registry reference '{reference}'" }
            : summary with { Spec = submitted };

    public void Dispose()
    {
        if (Directory.Exists(_cacheRoot))
        {
            Directory.Delete(_cacheRoot, recursive: true);
        }
    }

    private string? Localize(RegistryKind kind, string? value) =>
        value is not null && IsName(value) ? _registry!.Value.LocalFile(kind, value) : value;

    /// <summary>A value the local registry resolves: one is configured and nothing of that name is on disk.</summary>
    private bool IsName(string value) => _registry is not null && !ExistsLocally(value);

    private static bool IsBuiltIn(string model) =>
        string.Equals(model, GmmDemo.Name, StringComparison.OrdinalIgnoreCase) || model.StartsWith(ModelCatalog.MixturePrefix, StringComparison.OrdinalIgnoreCase);

    private static bool ExistsLocally(string value) => File.Exists(value) || Directory.Exists(value);
}
