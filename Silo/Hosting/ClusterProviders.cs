namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Orleans' clustering, grain storage and reminders for a silo: on PostgreSQL when
/// <c>OrleansFlow:Postgres</c> is set, else a single development silo on localhost with everything in memory.
/// </summary>
public static class ClusterProviders
{
    public static void Use(ISiloBuilder silo, SiloOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: "orleansflow", clusterId: options.ClusterId);
            silo.AddMemoryGrainStorage(Cluster.OrleansFlowOptions.StorageName);
            silo.UseInMemoryReminderService();
            return;
        }

        throw new SpecException("OrleansFlow:Postgres", "PostgreSQL clustering arrives with the orleans-sql branch");
    }
}
