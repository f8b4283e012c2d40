using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Hosting;

/// <summary>The registry a silo loads models from by name, and its local cache (<see cref="SiloOptions.Models"/>).</summary>
public static class SiloRegistry
{
    /// <param name="trust">The public keys entries must be signed with (<see cref="SiloOptions.RegistryKeys"/>), or null to accept unsigned entries.</param>
    public static RegistryResolver CreateResolver(SiloOptions options, string nodeId, RegistryTrust? trust)
    {
        // Unset: the registry lives in the silo's own blob store, under models/, features/, references/.
        var store = string.IsNullOrWhiteSpace(options.Models)
            ? BlobStores.Create(options.Store, options.StoreContainer)
            : BlobStores.Create(options.Models, options.ModelsContainer ?? options.StoreContainer);
        // One folder per silo: silos of one machine may share the setting, never a folder (a cache is one process's).
        var cache = new ModelCache(new ModelRegistry(store, trust: trust), new ModelCacheOptions { Root = Path.Combine(options.ModelCache, nodeId), BudgetBytes = options.ModelCacheBytes });
        return new RegistryResolver(cache);
    }
}
