using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansFlow.Cluster;
using OrleansFlow.Models;
using OrleansFlow.Storage;

namespace OrleansFlow.Cluster.Tests.Grains;

/// <summary>
/// What the in-process test silos share (they run in one process): one blob directory, one job
/// catalog and shard ledger, the shard delay of the running test, and a count of model loads per silo.
/// </summary>
public static class TestSilos
{
    public static string BlobRoot { get; set; } = Path.GetTempPath();

    public static InMemoryJobCatalog Catalog { get; set; } = new();

    /// <summary>The shard ledger the silos share, as they would share PostgreSQL.</summary>
    public static InMemoryShardLedger ShardLedger { get; set; } = new();

    public static TimeSpan ShardDelay { get; set; }

    /// <summary>The pause before each precision/recall block of the running test (<see cref="OrleansFlowOptions.ManifoldBlockDelay"/>).</summary>
    public static TimeSpan ManifoldBlockDelay { get; set; }

    /// <summary>How long each model load takes (a real model's read and deserialisation) in the running test.</summary>
    public static TimeSpan LoadDelay { get; set; }

    /// <summary>Model loads finished, per silo.</summary>
    public static ConcurrentDictionary<string, int> Loads { get; } = new();

    /// <summary>When each model load started and finished.</summary>
    public static ConcurrentQueue<(DateTimeOffset Started, DateTimeOffset Finished)> LoadTimes { get; } = new();

    /// <summary>Tuned as ../shared/STACK.md found: a killed silo is declared dead in about a second.</summary>
    public static void TuneMembership(ClusterMembershipOptions membership)
    {
        membership.ProbeTimeout = TimeSpan.FromSeconds(1);
        membership.NumMissedProbesLimit = 2;
        membership.NumVotesForDeathDeclaration = 2;
        membership.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        membership.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);
        membership.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
    }
}

/// <summary>Each test silo: memory storage and reminders, the shared catalog and blob directory, two workers.</summary>
public sealed class TestSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder silo)
    {
        silo.AddMemoryGrainStorage(OrleansFlowOptions.StorageName);
        silo.UseInMemoryReminderService();
        silo.Configure<ClusterMembershipOptions>(TestSilos.TuneMembership);
        silo.Services.AddSingleton<IJobCatalog>(TestSilos.Catalog);
        silo.Services.AddSingleton<IShardLedger>(TestSilos.ShardLedger);
        silo.Services.AddSingleton<IJobStorage>(new SharedJobStorage(new LocalDirectoryBlobStore(TestSilos.BlobRoot)));
        silo.Services.AddSingleton<IModelLoader>(provider => new CountingLoader(provider.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString()));
        silo.AddOrleansFlow(new OrleansFlowOptions { Workers = 2, ShardDelay = TestSilos.ShardDelay, ManifoldBlockDelay = TestSilos.ManifoldBlockDelay });
    }

    private sealed class CountingLoader(string silo) : IModelLoader
    {
        public IFlowModel Load(string model)
        {
            var started = DateTimeOffset.UtcNow;
            Thread.Sleep(TestSilos.LoadDelay);
            var loaded = ModelCatalog.Load(model);
            TestSilos.Loads.AddOrUpdate(silo, 1, (_, n) => n + 1);
            TestSilos.LoadTimes.Enqueue((started, DateTimeOffset.UtcNow));
            return loaded;
        }
    }
}
