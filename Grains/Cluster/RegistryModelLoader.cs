using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Models.Registry;

namespace OrleansFlow.Cluster;

/// <summary>
/// A cluster silo's loader: models, feature networks and references by registry name only
/// (docs/models.md), downloaded into the silo's checked cache; summaries keep the names, so no cache
/// path reaches a client. The embedded CLI keeps <see cref="CatalogModelLoader"/> and local paths.
/// </summary>
public sealed class RegistryModelLoader(RegistryResolver registry) : IModelLoader
{
    public IFlowModel Load(string model) => registry.LoadModel(model);

    public JobSpec Localize(JobSpec spec) => registry.Localize(spec);

    public JobSummary InNames(JobSummary summary, JobSpec submitted) => registry.InNames(summary, submitted);

    public string InNames(string message) => registry.InNames(message);
}
