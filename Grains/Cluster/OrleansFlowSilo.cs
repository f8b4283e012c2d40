using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace OrleansFlow.Cluster;

/// <summary>
/// What every OrleansFlow silo adds to Orleans — the embedded one, a cluster's, a test cluster's:
/// the grains' services, the sampler placement, the idle
/// age of sampler grains, the job resumer and the serializer of grain state (<see cref="GrainStateSerializer"/>). Clustering, grain storage named
/// <see cref="OrleansFlowOptions.StorageName"/> and reminders are the host's choice.
/// </summary>
public static class OrleansFlowSilo
{
    private static readonly TimeSpan ManifoldWorkerIdle = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Registers the services; <see cref="IJobCatalog"/>, <see cref="IShardLedger"/>, <see cref="IJobStorage"/>,
    /// <see cref="IModelLoader"/> and <see cref="IShardProgress"/> may be registered before this call to replace
    /// the defaults (in-memory catalog and shard ledger, which needs a shared <see cref="IJobStorage"/> registered by the host).
    /// </summary>
    public static ISiloBuilder AddOrleansFlow(this ISiloBuilder silo, OrleansFlowOptions options)
    {
        var services = silo.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IJobCatalog, InMemoryJobCatalog>();
        services.TryAddSingleton<IShardLedger, InMemoryShardLedger>();
        services.TryAddSingleton<IModelLoader, CatalogModelLoader>();
        services.TryAddSingleton<IShardProgress, NoShardProgress>();
        services.AddSingleton(new ShardSlots(options.Workers));
        services.AddSingleton<RunningShards>();
        services.AddSingleton<WarmSamplers>();
        services.AddSingleton<SharedCompilation>();
        services.AddSingleton<JobResumer>();
        services.AddSingleton<ManifoldBlockRunners>();
        services.AddGrainStateSerializer(OrleansFlowOptions.StorageName);
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(provider => provider.GetRequiredService<JobResumer>());
        services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        services.Configure<SiloMessagingOptions>(messaging =>
        {
            // A call that times out is cancelled at its callee instead of running on beside its retry, and a
            // callee still reporting on a call its caller has dropped is told to stop (MessagingOptions).
            messaging.CancelRequestOnTimeout = true;
            messaging.CancelUnknownRequestOnStatusUpdate = true;
        });
        services.Configure<GrainCollectionOptions>(collection =>
        {
            collection.ClassSpecificCollectionAge[typeof(SamplerGrain).FullName!] = options.SamplerIdle;
            // Released by the finaliser after its pass; this frees the features of a finaliser that died.
            collection.ClassSpecificCollectionAge[typeof(ManifoldWorkerGrain).FullName!] = ManifoldWorkerIdle;
        });
        return silo;
    }
}
