using OrleansFlow.Models;

namespace OrleansFlow.Cluster;

/// <summary>
/// Loads a model by its <c>--model</c> name for a sampler grain. The one seam through which models
/// enter a silo: a registry-backed loader replaces <see cref="CatalogModelLoader"/> here.
/// Throws <see cref="SpecException"/> for a name it cannot load.
/// </summary>
public interface IModelLoader
{
    IFlowModel Load(string model);
}

/// <summary>The built-in names: <c>gmm-demo</c>, <c>gmm:path.json</c> and model package directories.</summary>
public sealed class CatalogModelLoader : IModelLoader
{
    public IFlowModel Load(string model) => ModelCatalog.Load(model);
}
