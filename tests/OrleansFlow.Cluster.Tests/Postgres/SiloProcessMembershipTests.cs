using System.Diagnostics;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>
/// Membership with <see cref="MembershipTuning"/> between real silo processes on a real PostgreSQL 15:
/// how long a SIGKILLed silo stays a member, and whether an idle cluster suspects anyone.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SiloProcessMembershipTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(120);

    // Orleans' defaults take ~7 s or more (STACK.md); the tuning's goal is < 2 s. The bound leaves room
    // for a loaded 2-core machine while still failing if the tuning is not applied.
    private static readonly TimeSpan DeathBound = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan IdleWatch = TimeSpan.FromSeconds(30);

    private readonly List<TestSiloProcess> _silos = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task ThreeSiloProcesses_IdleThenOneSigkilled_NoSuspicionWhileIdleAndTheKilledOneDeclaredDeadQuickly()
    {
        var schema = OrleansSchema.Create(postgres.Server, "proc");
        await schema.MigrateAsync();
        var clusterId = $"proc-{Guid.NewGuid():N}"[..16];
        // Kept after the run (under bin/) for a failure's post-mortem.
        var logs = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "silo-logs", clusterId)).FullName;
        var started = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            _silos.Add(TestSiloProcess.Start(schema.ConnectionString, clusterId, logs));
        }

        await WaitForAsync(async () => (await schema.SilosAsync(clusterId)).Count(r => r.Status == SiloRow.Active) == 3, StartPatience, "3 Active silos");
        output.WriteLine($"3 silo processes Active in {started.Elapsed.TotalSeconds:F1} s");

        // Idle: no silo may vote against another, and nobody leaves Active.
        var watched = Stopwatch.StartNew();
        var polls = 0;
        while (watched.Elapsed < IdleWatch)
        {
            var rows = await schema.SilosAsync(clusterId);
            Assert.All(rows, r => Assert.Equal(SiloRow.Active, r.Status));
            Assert.All(rows, r => Assert.Equal(string.Empty, r.SuspectTimes));
            polls++;
            await Task.Delay(250);
        }

        output.WriteLine($"idle {IdleWatch.TotalSeconds:F0} s: {polls} reads of the membership table, no suspicion, all Active");

        var victim = _silos[1];
        var killed = Stopwatch.StartNew();
        await victim.KillAsync();
        SiloRow? dead = null;
        await WaitForAsync(async () =>
        {
            dead = (await schema.SilosAsync(clusterId)).SingleOrDefault(r => r.Port == victim.SiloPort && r.Status == SiloRow.Dead);
            return dead is not null;
        }, TimeSpan.FromSeconds(60), "the killed silo declared Dead");
        var elapsed = killed.Elapsed;
        output.WriteLine($"SIGKILLed silo :{victim.SiloPort} declared Dead (6) {elapsed.TotalSeconds:F2} s after the kill; votes: {dead!.SuspectTimes}");

        Assert.True(elapsed < DeathBound, $"declared Dead after {elapsed.TotalSeconds:F2} s (bound {DeathBound.TotalSeconds} s)");
        Assert.DoesNotContain($":{victim.SiloPort}@", dead.SuspectTimes, StringComparison.Ordinal);
        var survivors = await schema.SilosAsync(clusterId);
        Assert.Equal(2, survivors.Count(r => r.Status == SiloRow.Active));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan patience, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > patience)
            {
                throw new TimeoutException($"{what}: not within {patience.TotalSeconds} s");
            }

            await Task.Delay(50);
        }
    }
}
