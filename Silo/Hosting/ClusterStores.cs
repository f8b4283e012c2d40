using OrleansFlow.Cluster;
using OrleansFlow.Cluster.Postgres;

namespace OrleansFlow.Silo.Hosting;

/// <summary>The cluster store a silo's configuration asks for.</summary>
public static class ClusterStores
{
    /// <summary>PostgreSQL when <c>OrleansFlow:Postgres</c> is set (a cluster); otherwise in memory (one silo, for development).</summary>
    public static IClusterStore Create(SiloOptions options, ILoggerFactory logging) =>
        string.IsNullOrWhiteSpace(options.Postgres)
            ? new InMemoryClusterStore()
            : new PostgresClusterStore(
                new PostgresClusterStoreOptions { ConnectionString = options.Postgres, Schema = options.Schema },
                logging.CreateLogger<PostgresClusterStore>());
}
