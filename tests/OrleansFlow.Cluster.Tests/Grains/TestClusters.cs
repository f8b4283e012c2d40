using System.Diagnostics;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace OrleansFlow.Cluster.Tests.Grains;

/// <summary>Deploying, stopping and waiting on the 3-silo test cluster, shared by the grain tests.</summary>
public static class TestClusters
{
    public static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    /// <summary>A fresh 3-silo cluster over <paramref name="blobRoot"/> and a new job catalog.</summary>
    public static async Task<TestCluster> DeployAsync(string blobRoot, TimeSpan shardDelay, TimeSpan blockDelay, ITestOutputHelper output)
    {
        TestSilos.BlobRoot = blobRoot;
        TestSilos.Catalog = new InMemoryJobCatalog();
        TestSilos.ShardDelay = shardDelay;
        TestSilos.ManifoldBlockDelay = blockDelay;
        TestSilos.Loads.Clear();
        TestSilos.LoadTimes.Clear();
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<TestSiloConfigurator>();
        var cluster = builder.Build();
        var clock = Stopwatch.StartNew();
        await cluster.DeployAsync();
        output.WriteLine($"3-silo test cluster deployed in {clock.Elapsed.TotalSeconds:F1} s");
        return cluster;
    }

    public static async Task StopAsync(TestCluster cluster)
    {
        TestSilos.ShardDelay = TimeSpan.Zero;
        TestSilos.ManifoldBlockDelay = TimeSpan.Zero;
        TestSilos.LoadDelay = TimeSpan.Zero;
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    /// <summary>Polls the scheduler; calls that fail while a silo is being declared dead are retried.</summary>
    public static async Task<JobRecord> WaitForEndAsync(TestCluster cluster, string job)
    {
        JobRecord? record = null;
        await WaitAsync(
            async () =>
            {
                try
                {
                    record = await cluster.Client.GetGrain<IJobSchedulerGrain>(job).GetAsync();
                    return record is { IsFinished: true };
                }
                catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
                {
                    return false;
                }
            },
            $"job {job} to end");
        return record!;
    }

    public static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > JobTimeout)
            {
                throw new TimeoutException($"waited {JobTimeout.TotalSeconds} s for {what}");
            }

            await Task.Delay(50);
        }
    }
}
