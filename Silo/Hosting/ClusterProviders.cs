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
            ConfigureMembership(silo, options);
            return;
        }

        try
        {
            // One string for Orleans' providers and the project's own tables (job catalog, shard ledger):
            // one Npgsql pool of PostgresPoolSize connections per silo.
            var connectionString = OrleansPostgres.WithPoolSize(options.Postgres, options.PostgresPoolSize);
            silo.UseOrleansFlowPostgres(connectionString);
            var statements = PostgresStatements.For(connectionString);
            silo.Services.AddSingleton<IJobCatalog>(new PostgresJobCatalog(statements));
            silo.Services.AddSingleton<IShardLedger>(new PostgresShardLedger(statements));
            ConfigureMembership(silo, options);
        }
        catch (ArgumentException e)
        {
            throw new SpecException(PostgresSetting, e.Message.Split(" (Parameter")[0]);
        }
    }

    // After UseOrleansFlowPostgres' defaults, so a raised probe timeout (simulations only) wins.
    private static void ConfigureMembership(ISiloBuilder silo, SiloOptions options) =>
        silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(membership =>
            MembershipTuning.Apply(membership, TimeSpan.FromSeconds(options.MembershipProbeTimeoutSeconds)));
}
