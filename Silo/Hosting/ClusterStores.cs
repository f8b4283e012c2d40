using OrleansFlow.Cluster;

namespace OrleansFlow.Silo.Hosting;

/// <summary>The cluster store a silo's configuration asks for.</summary>
public static class ClusterStores
{
    public static IClusterStore Create(SiloOptions options) =>
        string.IsNullOrWhiteSpace(options.Postgres)
            ? new InMemoryClusterStore()
            : throw new SpecException("OrleansFlow:Postgres", "the PostgreSQL store is not built into this silo yet");
}
