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
            silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(MembershipTuning.Apply);
            return;
        }

        try
        {
            // One string for Orleans' providers and the catalog: one Npgsql pool of PostgresPoolSize.
            var connectionString = OrleansPostgres.WithPoolSize(options.Postgres, options.PostgresPoolSize);
            silo.UseOrleansFlowPostgres(connectionString);
            silo.Services.AddSingleton<IJobCatalog>(PostgresJobCatalog.Create(connectionString));
        }
        catch (ArgumentException e)
        {
            throw new SpecException(PostgresSetting, e.Message.Split(" (Parameter")[0]);
        }
    }
}
