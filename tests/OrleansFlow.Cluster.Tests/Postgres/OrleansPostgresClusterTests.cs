using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>
/// Three in-process Orleans silos (TestingHost, TCP transport) on a real PostgreSQL 15 through the
/// schema of migration 001: clustering, the client's gateway list, grain storage, reminders, death.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansPostgresClusterTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private TestCluster? _cluster;
    private OrleansSchema _schema = null!;

    private TestCluster Cluster => _cluster!;

    public async Task InitializeAsync()
    {
        _schema = OrleansSchema.Create(postgres.Server, "orl");
        var builder = new TestClusterBuilder(3);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.Properties[PostgresSiloConfigurator.ConnectionStringKey] = _schema.ConnectionString;
        builder.AddSiloBuilderConfigurator<PostgresSiloConfigurator>();
        builder.AddClientBuilderConfigurator<PostgresClientConfigurator>();
        _cluster = builder.Build();
        var started = Stopwatch.StartNew();
        await _cluster.DeployAsync();
        output.WriteLine($"3 silos and a client up in {started.Elapsed.TotalSeconds:F1} s");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Cluster_ThreeSilos_MembershipTableShowsThreeActiveAndClientCallsThroughGateways()
    {
        var silos = await WaitForAsync(async () =>
        {
            var rows = await _schema.SilosAsync(Cluster.Options.ClusterId);
            return rows.Count(r => r.Status == SiloRow.Active) == 3 ? rows : null;
        });

        Assert.Equal(3, silos.Count);
        Assert.All(silos, r => Assert.True(r.ProxyPort > 0, "every silo advertises a gateway"));
        // The client was configured with no gateway but the membership table: a call proves it found them.
        var hosts = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            hosts.Add(await Cluster.Client.GetGrain<IProbeGrain>($"spread-{i}").SiloAsync());
        }

        Assert.NotEmpty(hosts);
        Assert.Equal(1, await _schema.ScalarAsync("SELECT count(*) FROM OrleansMembershipVersionTable"));
        Assert.True(await _schema.ScalarAsync("SELECT Version FROM OrleansMembershipVersionTable") >= 6, "three joins, three activations bump the version");
    }

    [Fact]
    public async Task GrainState_WrittenThenReadByAnotherActivation_ReturnsTheValue()
    {
        var grain = Cluster.Client.GetGrain<IProbeGrain>("state-1");
        await grain.WriteAsync("first");
        await grain.WriteAsync("second");

        // Collect every activation so the next call reads PostgreSQL, not memory.
        var management = Cluster.Client.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);

        Assert.Equal("second", await Cluster.Client.GetGrain<IProbeGrain>("state-1").ReadAsync());
        Assert.Equal(2, await _schema.ScalarAsync("SELECT max(Version) FROM OrleansStorage"));
        Assert.Equal(1, await _schema.ScalarAsync("SELECT count(*) FROM OrleansStorage"));
    }

    [Fact]
    public async Task GrainStorage_StaleETagWrite_IsRejectedAndTheStoredStateStays()
    {
        var storage = Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services
            .GetRequiredKeyedService<IGrainStorage>(OrleansPostgres.StorageName);
        var id = GrainId.Create("probe", "etag-1");
        var holder = new GrainState<ProbeState>(new ProbeState { Value = "one" });
        await storage.WriteStateAsync("probe", id, holder);
        var twin = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe", id, twin);
        Assert.Equal(holder.ETag, twin.ETag);

        holder.State = new ProbeState { Value = "two" };
        await storage.WriteStateAsync("probe", id, holder);
        twin.State = new ProbeState { Value = "stale" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", id, twin));
        // A writer that read nothing (ETag null) must not create a second row beside the first.
        var late = new GrainState<ProbeState>(new ProbeState { Value = "late" });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", id, late));

        var reader = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe", id, reader);
        Assert.Equal("two", reader.State?.Value);
        Assert.True(reader.RecordExists);
        Assert.Equal(1, await _schema.ScalarAsync("SELECT count(*) FROM OrleansStorage"));

        // Keys longer than Orleans' own scripts allow (512 characters) are stored too.
        var longId = GrainId.Create("probe", string.Concat(Enumerable.Range(0, 32).Select(_ => Guid.NewGuid().ToString("N"))));
        await storage.WriteStateAsync("probe", longId, new GrainState<ProbeState>(new ProbeState { Value = "long" }));
        var longRead = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe", longId, longRead);
        Assert.Equal("long", longRead.State?.Value);

        await storage.ClearStateAsync("probe", id, reader);
        var cleared = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe", id, cleared);
        Assert.False(cleared.RecordExists);
        Assert.Null(cleared.State?.Value);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", id, holder));
    }

    [Fact]
    public async Task Reminder_Registered_FiresAndIsStored()
    {
        var key = $"remind-{Guid.NewGuid():N}";
        var fired = ProbeGrain.Fired.GetOrAdd(key, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        var started = Stopwatch.StartNew();

        await Cluster.Client.GetGrain<IProbeGrain>(key).RemindAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(1, await _schema.ScalarAsync("SELECT count(*) FROM OrleansRemindersTable"));
        var silo = await fired.Task.WaitAsync(Patience);
        output.WriteLine($"reminder due after 1 s fired after {started.Elapsed.TotalSeconds:F1} s on {silo}");
    }

    [Fact]
    public async Task GrainStorage_DeleteStateOnClear_RemovesTheRowAndAStaleClearIsRejected()
    {
        var storage = Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services
            .GetRequiredKeyedService<IGrainStorage>(PostgresSiloConfigurator.DeleteOnClearStorage);
        var id = GrainId.Create("probe", "delete-1");
        var holder = new GrainState<ProbeState>(new ProbeState { Value = "one" });
        await storage.WriteStateAsync("probe", id, holder);
        var stale = new GrainState<ProbeState>(new ProbeState()) { ETag = holder.ETag };
        await storage.WriteStateAsync("probe", id, holder);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("probe", id, stale));
        Assert.Equal(1, await _schema.ScalarAsync("SELECT count(*) FROM OrleansStorage"));
        await storage.ClearStateAsync("probe", id, holder);

        Assert.Null(holder.ETag);
        Assert.Equal(0, await _schema.ScalarAsync("SELECT count(*) FROM OrleansStorage"));
        // After a delete the next writer starts from "nothing read" again.
        await storage.WriteStateAsync("probe", id, new GrainState<ProbeState>(new ProbeState { Value = "again" }));
        Assert.Equal(1, await _schema.ScalarAsync("SELECT max(Version) FROM OrleansStorage"));
    }

    [Fact]
    public async Task Reminder_Unregistered_RowIsDeleted()
    {
        var grain = Cluster.Client.GetGrain<IProbeGrain>($"forget-{Guid.NewGuid():N}");
        await grain.RemindAsync(TimeSpan.FromMinutes(10));
        await grain.RemindAsync(TimeSpan.FromMinutes(20));
        Assert.Equal(1, await _schema.ScalarAsync("SELECT max(Version) FROM OrleansRemindersTable"));

        Assert.True(await grain.ForgetAsync());

        Assert.Equal(0, await _schema.ScalarAsync("SELECT count(*) FROM OrleansRemindersTable"));
        Assert.False(await grain.ForgetAsync());
    }

    [Fact]
    public async Task Membership_DefunctCleanupAndDelete_RemoveDeadRowsThenTheCluster()
    {
        var victim = Cluster.Silos[^1];
        await Cluster.KillSiloAsync(victim);
        await WaitForAsync(async () => (await _schema.SilosAsync(Cluster.Options.ClusterId)).Any(r => r.Status == SiloRow.Dead) ? true : (bool?)null);
        var table = Cluster.Silos.OfType<InProcessSiloHandle>().First(s => s.IsActive).SiloHost.Services.GetRequiredService<IMembershipTable>();

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);

        var rows = await _schema.SilosAsync(Cluster.Options.ClusterId);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(SiloRow.Active, r.Status));
        var read = await table.ReadAllAsync(CancellationToken.None);
        Assert.Equal(2, read.Members.Count);

        // Deleting a whole cluster's entries is shown on another cluster id in the same tables: the
        // live silos would spend their shutdown timeouts failing to write their rows if it were theirs.
        await _schema.ScalarAsync(
            "WITH v AS (INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES ('ghost') RETURNING DeploymentId) " +
            "INSERT INTO OrleansMembershipTable (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime) " +
            "SELECT DeploymentId, '10.0.0.1', 11111, 1, 'ghost', 'ghost', 3, 30000, now(), now() FROM v RETURNING 1");
        Assert.Equal(1, await _schema.ScalarAsync("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = 'ghost'"));

        await table.DeleteMembershipTableEntriesAsync("ghost", CancellationToken.None);

        Assert.Equal(0, await _schema.ScalarAsync("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = 'ghost'"));
        Assert.Equal(0, await _schema.ScalarAsync("SELECT count(*) FROM OrleansMembershipVersionTable WHERE DeploymentId = 'ghost'"));
        Assert.Equal(2, (await _schema.SilosAsync(Cluster.Options.ClusterId)).Count);
    }

    [Fact]
    public async Task Silo_StoppedUngracefully_IsDeclaredDeadAndItsGrainStateSurvives()
    {
        var grain = Cluster.Client.GetGrain<IProbeGrain>("survivor");
        await grain.WriteAsync("kept");
        var host = await grain.SiloAsync();
        var victim = Cluster.Silos.Single(s => host.Contains(s.SiloAddress.Endpoint.ToString(), StringComparison.Ordinal));
        await WaitForAsync(async () => (await _schema.SilosAsync(Cluster.Options.ClusterId)).Count(r => r.Status == SiloRow.Active) == 3 ? true : (bool?)null);

        var killed = Stopwatch.StartNew();
        await Cluster.KillSiloAsync(victim);
        var stopped = killed.Elapsed;
        var dead = await WaitForAsync(async () =>
        {
            var rows = await _schema.SilosAsync(Cluster.Options.ClusterId);
            return rows.SingleOrDefault(r => r.Port == victim.SiloAddress.Endpoint.Port && r.Status == SiloRow.Dead);
        });
        var declared = killed.Elapsed;
        // An in-process "kill" only cancels the silo's StopAsync, and the stopping silo still writes
        // its own row (its vote shows in SuspectTimes): this proves the table update, not detection.
        // Detection of a SIGKILLed process by its peers is measured in SiloProcessMembershipTests.
        output.WriteLine($"in-process silo {victim.SiloAddress} stopped ungracefully in {stopped.TotalSeconds:F2} s, Dead (6) in the table {declared.TotalSeconds:F2} s after the kill; votes: {dead.SuspectTimes}");

        Assert.Equal("kept", await Cluster.Client.GetGrain<IProbeGrain>("survivor").ReadAsync());
        var rows = await _schema.SilosAsync(Cluster.Options.ClusterId);
        Assert.Equal(2, rows.Count(r => r.Status == SiloRow.Active));
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (deadline.Elapsed > Patience)
            {
                throw new TimeoutException($"condition not met within {Patience.TotalSeconds} s");
            }

            await Task.Delay(100);
        }
    }
}
