using OrleansFlow.Jobs;
using OrleansFlow.Models;

namespace OrleansFlow.Cluster;

/// <summary>
/// Loads a model by its <c>--model</c> name for a sampler grain, and turns a job's other names into the
/// local files <see cref="ResolvedJob"/> reads. The one seam through which models enter a silo:
/// <see cref="RegistryModelLoader"/> replaces <see cref="CatalogModelLoader"/> on a cluster's silos.
/// Throws <see cref="SpecException"/> for a name it cannot load.
/// </summary>
public interface IModelLoader
{
    IFlowModel Load(string model);

    /// <summary>The spec with its <c>features</c> and <c>reference</c> as local files (default: they already are).</summary>
    JobSpec Localize(JobSpec spec) => spec;

    /// <summary>A summary made from a <see cref="Localize"/>d spec, told as <paramref name="submitted"/> (default: unchanged).</summary>
    JobSummary InNames(JobSummary summary, JobSpec submitted) => summary;

    /// <summary>An error message that may name <see cref="Localize"/>d files, told in names (default: unchanged).</summary>
    string InNames(string message) => message;
}

/// <summary>The built-in names: <c>gmm-demo</c>, <c>gmm:path.json</c> and model package directories.</summary>
public sealed class CatalogModelLoader : IModelLoader
{
    public IFlowModel Load(string model) => ModelCatalog.Load(model);
}
