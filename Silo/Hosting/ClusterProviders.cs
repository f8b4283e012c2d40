using OrleansFlow.Cluster;
using OrleansFlow.Cluster.Postgres;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Orleans' clustering, grain storage and reminders, and the job catalog, for a silo: on PostgreSQL
/// when <c>OrleansFlow:Postgres</c> is set, else a single development silo on localhost with
/// everything in memory.
/// </summary>
public static class ClusterProviders
{
    public const string PostgresSetting = "OrleansFlow:Postgres";

    public static void Use(ISiloBuilder silo, SiloOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: "orleansflow", clusterId: options.ClusterId);
            silo.AddMemoryGrainStorage(OrleansFlowOptions.StorageName);
            silo.UseInMemoryReminderService();
        }
        else
        {
            UsePostgres(silo, options.Postgres, options.PostgresPoolSize);
        }

        // After UseOrleansFlowPostgres' defaults, so a raised probe timeout (simulations only) wins.
        silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(membership =>
            MembershipTuning.Apply(membership, TimeSpan.FromSeconds(options.MembershipProbeTimeoutSeconds)));
    }

    private static void UsePostgres(ISiloBuilder silo, string postgres, int poolSize)
    {
        try
        {
            // One string for Orleans' providers and the project's own tables (job catalog, shard ledger):
            // one Npgsql pool of PostgresPoolSize connections per silo.
            var connectionString = OrleansPostgres.WithPoolSize(postgres, poolSize);
            silo.UseOrleansFlowPostgres(connectionString);
            var statements = PostgresStatements.For(connectionString);
            silo.Services.AddSingleton<IJobCatalog>(new PostgresJobCatalog(statements));
            silo.Services.AddSingleton<IShardLedger>(new PostgresShardLedger(statements));
        }
        catch (ArgumentException e)
        {
            throw new SpecException(PostgresSetting, e.Message.Split(" (Parameter")[0]);
        }
    }
}
