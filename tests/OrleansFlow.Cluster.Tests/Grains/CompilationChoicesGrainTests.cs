using System.Diagnostics;
using OrleansFlow.Jobs;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Cluster.Tests.Grains;

/// <summary>One timing per batch size across the cluster, when silos warm the same model at the same moment.</summary>
public sealed class CompilationChoicesGrainTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Waited = TimeSpan.FromMilliseconds(500);
    private readonly TemporaryDirectory _scratch = new();

    [Fact]
    public async Task Join_WhileAnotherSiloTimes_WaitsForItsOfferAndAdoptsIt_OrTimesWhenItGivesUp()
    {
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), TimeSpan.Zero, blockDelay: TimeSpan.Zero, output);
        try
        {
            var choices = cluster.Client.GetGrain<ICompilationChoicesGrain>(CompilationChoicesKey.For("model:0123", "cpu"));
            // The test client joins on behalf of the cluster's silos (all alive throughout).
            var silo = cluster.Silos[0].SiloAddress;
            var first = await choices.JoinAsync([50, 100], silo);
            Assert.Equal([50, 100], first.Claimed.Order());

            // A second silo joining while the first times waits for its offer, then adopts it and times nothing.
            var second = choices.JoinAsync([50], silo);
            await Task.Delay(Waited);
            Assert.False(second.IsCompleted);
            var timed = new CompilationChoice("predictor", 50, "frozen", [new CompilationTiming("frozen", 1.0, SameOutputs: true)]);
            Assert.Equal([Form(timed)], (await choices.OfferAsync([50], [timed])).Select(Form));
            var adopted = await second;
            Assert.Equal([Form(timed)], adopted.Agreed.Select(Form));
            Assert.Empty(adopted.Claimed);

            // A claim given back without a choice (the timing failed) passes to the silo waiting for it.
            var third = choices.JoinAsync([100], silo);
            await Task.Delay(Waited);
            Assert.False(third.IsCompleted);
            await choices.OfferAsync([100], []);
            Assert.Equal([100], (await third).Claimed);

            // A silo that stops waiting (its prepare was cancelled) gives back what it claimed on the way: the
            // smaller batch size claimed before it waited for 100 is free at once, not after the claim's lease.
            using var cancel = new CancellationTokenSource(Waited);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => choices.JoinAsync([25, 100], silo, cancel.Token));
            var next = choices.JoinAsync([25], silo);
            Assert.Same(next, await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(30))));
            Assert.Equal([25], (await next).Claimed);
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task Join_WhileTheClaimingSiloIsKilled_ClaimsOnceMembershipDeclaresItDeadNotAfterTheLease()
    {
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), TimeSpan.Zero, blockDelay: TimeSpan.Zero, output);
        try
        {
            var choices = cluster.Client.GetGrain<ICompilationChoicesGrain>(CompilationChoicesKey.For("model:4567", "cpu"));
            Assert.Empty((await choices.JoinAsync([], cluster.Silos[0].SiloAddress)).Claimed);
            // The claimer to kill: not the primary (it holds the test cluster's membership) and not the grain's host
            // (its state is in memory: the grain must outlive the claimer for the wait to mean anything).
            var host = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(choices);
            var claimer = cluster.SecondarySilos.First(s => !s.SiloAddress.Equals(host));
            Assert.Equal([50], (await choices.JoinAsync([50], claimer.SiloAddress)).Claimed);
            var waiter = cluster.Silos.First(s => !s.SiloAddress.Equals(claimer.SiloAddress));
            var waiting = choices.JoinAsync([50], waiter.SiloAddress);
            await Task.Delay(Waited);
            Assert.False(waiting.IsCompleted);

            var clock = Stopwatch.StartNew();
            await cluster.KillSiloAsync(claimer);

            // Membership declares a killed test silo dead within seconds (TestSilos.TuneMembership); the lease is minutes.
            Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(CompilationClaim.Lease / 2)));
            output.WriteLine($"claimed {clock.Elapsed.TotalSeconds:F1} s after the claimer was killed (lease {CompilationClaim.Lease.TotalSeconds:F0} s)");
            Assert.Equal([50], (await waiting).Claimed);
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    private static (string Role, int Batch, string Chosen) Form(CompilationChoice choice) => (choice.Role, choice.Batch, choice.Chosen);

    public void Dispose() => _scratch.Dispose();
}
