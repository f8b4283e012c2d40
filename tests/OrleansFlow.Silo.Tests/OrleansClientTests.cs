using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OrleansFlow.Client;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Jobs;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Silo.Tests;

/// <summary>The CLI's cluster mode as an Orleans client (<c>--orleans-postgres</c>, <c>--gateways</c>) against real silo processes.</summary>
[Collection(SiloCollection.Name)]
public sealed partial class OrleansClientTests(PostgresFixture postgres, ITestOutputHelper log)
{
    private static readonly string[] Job = ["fid", "--samples", "3000", "--shard-size", "500", "--sampler", "heun:steps=4", "--quiet"];

    [Fact]
    public async Task OrleansClient_OneSilo_SummaryAndStatisticsIdenticalToHttpModeAndEmbedded()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);
        var scratch = Path.Combine(cluster.Root, "client");

        var orleans = await RunAsync([.. Job, .. PostgresGateways(cluster), "--out", Path.Combine(scratch, "orleans")]);
        var http = await RunAsync([.. Job, "--cluster", cluster.Silos[0].Address.ToString(), "--token", TestCluster.Token, "--out", Path.Combine(scratch, "http")]);
        var embedded = await RunAsync([.. Job, "--out", Path.Combine(scratch, "embedded")]);

        Assert.True(orleans.Exit == 0, orleans.Error);
        Assert.True(http.Exit == 0, http.Error);
        Assert.True(embedded.Exit == 0, embedded.Error);
        Assert.NotEqual(JobIdOf(orleans.Error), JobIdOf(http.Error));
        var fromOrleans = await SummaryAsync(Path.Combine(scratch, "orleans"));
        Assert.Equal(await SummaryAsync(Path.Combine(scratch, "http")), fromOrleans);
        Assert.Equal(await SummaryAsync(Path.Combine(scratch, "embedded")), fromOrleans);
        Assert.Equal(["summary.json"], Directory.GetFiles(Path.Combine(scratch, "orleans")).Select(Path.GetFileName));
        var embeddedStats = await File.ReadAllBytesAsync(Path.Combine(scratch, "embedded", "stats.npz"));
        Assert.Equal(embeddedStats, await File.ReadAllBytesAsync(Path.Combine(cluster.StorePath, "jobs", JobIdOf(orleans.Error), "stats.npz")));
        Assert.Equal(embeddedStats, await File.ReadAllBytesAsync(Path.Combine(cluster.StorePath, "jobs", JobIdOf(http.Error), "stats.npz")));
    }

    [Fact]
    public async Task OrleansClient_ThreeSilosThroughStaticGatewayList_SameStatisticsAsEmbedded()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 3);
        var scratch = Path.Combine(cluster.Root, "client");
        var gateways = await cluster.ActiveGatewaysAsync();
        Assert.Equal(3, gateways.Count);

        var orleans = await RunAsync([.. Job, "--gateways", string.Join(',', gateways), "--cluster-id", cluster.Schema, "--out", Path.Combine(scratch, "orleans")]);
        var embedded = await RunAsync([.. Job, "--out", Path.Combine(scratch, "embedded")]);

        Assert.True(orleans.Exit == 0, orleans.Error);
        Assert.True(embedded.Exit == 0, embedded.Error);
        Assert.Equal(await SummaryAsync(Path.Combine(scratch, "embedded")), await SummaryAsync(Path.Combine(scratch, "orleans")));
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(scratch, "embedded", "stats.npz")),
            await File.ReadAllBytesAsync(Path.Combine(cluster.StorePath, "jobs", JobIdOf(orleans.Error), "stats.npz")));
    }

    [Fact]
    public async Task OrleansClient_SchedulersSiloKilledWhileFollowing_CommandSucceedsWithEmbeddedStatistics()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 3, new ClusterSettings { ShardDelay = TimeSpan.FromMilliseconds(200) });
        var scratch = Path.Combine(cluster.Root, "client");
        var gateways = string.Join(',', await cluster.ActiveGatewaysAsync());
        string[] job = ["fid", "--samples", "4000", "--shard-size", "250", "--sampler", "heun:steps=4", "--quiet"];
        var error = new StringWriter();
        var run = Cli.RunAsync([.. job, "--gateways", gateways, "--cluster-id", cluster.Schema, "--out", Path.Combine(scratch, "orleans")], new StringWriter(), error);
        while (!error.ToString().Contains("submitted", StringComparison.Ordinal))
        {
            Assert.False(run.IsCompleted, error.ToString());
            await Task.Delay(50);
        }

        var id = JobIdOf(error.ToString());
        var midway = await cluster.WaitForShardsAsync(id, 3, TimeSpan.FromMinutes(1));
        Assert.False(midway.IsFinished, "the job finished before the kill");
        var killed = System.Diagnostics.Stopwatch.StartNew();
        await cluster.KillSiloAsync(cluster.SiloOf(midway.Scheduler) ?? throw new InvalidOperationException("no scheduler silo: " + midway.Scheduler));

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromMinutes(3)));
        log.WriteLine($"kill to command exit: {killed.Elapsed.TotalSeconds:F1} s ({midway.ShardsDone} of {midway.ShardCount} shards done at the kill)");
        var embedded = await RunAsync([.. job, "--out", Path.Combine(scratch, "embedded")]);
        Assert.Equal(0, embedded.Exit);
        Assert.Equal(await SummaryAsync(Path.Combine(scratch, "embedded"), afterFailover: true), await SummaryAsync(Path.Combine(scratch, "orleans"), afterFailover: true));
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(scratch, "embedded", "stats.npz")),
            await File.ReadAllBytesAsync(Path.Combine(cluster.StorePath, "jobs", id, "stats.npz")));
    }

    [Fact]
    public async Task OrleansClient_Interrupted_StopsFollowingWith130AndTheJobFinishesOnTheCluster()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1, new ClusterSettings { ShardDelay = TimeSpan.FromMilliseconds(300) });
        var error = new StringWriter();
        using var interrupt = new CancellationTokenSource();
        var run = Cli.RunAsync([.. Job, .. PostgresGateways(cluster)], new StringWriter(), error, interrupt.Token);
        while (!error.ToString().Contains("submitted", StringComparison.Ordinal))
        {
            Assert.False(run.IsCompleted, error.ToString());
            await Task.Delay(50);
        }

        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Interrupted, await run);
        var id = JobIdOf(error.ToString());
        Assert.Contains($"stopped following job {id}; it continues on the cluster", error.ToString());
        Assert.Equal("succeeded", (await cluster.WaitAsync(id, TimeSpan.FromMinutes(2))).State);
    }

    [Fact]
    public async Task OrleansClient_ClusterIdWithNoSiloInTheMembershipTable_OneLineNamingTheOptionExitTwoNothingWritten()
    {
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 1);
        var outDirectory = Path.Combine(cluster.Root, "out");
        var connection = OrleansPostgres.ConnectionString(postgres.Server.ConnectionString, cluster.Schema);

        var result = await RunAsync([.. Job, "--orleans-postgres", connection, "--cluster-id", "no-such-cluster", "--connect-timeout", "2", "--out", outDirectory]);

        Assert.Equal(ExitCodes.BadInput, result.Exit);
        Assert.StartsWith("orleansflow: --orleans-postgres: no gateway of cluster 'no-such-cluster' reachable through the PostgreSQL membership table within 2 s", result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(outDirectory));
    }

    [Theory]
    [InlineData("--gateways", "127.0.0.1:{closed}", "--gateways: no gateway of cluster 'orleansflow' reachable through 127.0.0.1:{closed} within 2 s")]
    [InlineData("--gateways", "127.0.0.1", "--gateways: '127.0.0.1' is not host:port with a port in 1-65535")]
    [InlineData("--gateways", "localhost:70000", "--gateways: 'localhost:70000' is not host:port with a port in 1-65535")]
    [InlineData("--orleans-postgres", "Host=x;NoSuchKey=1", "--orleans-postgres: the PostgreSQL connection string is malformed")]
    [InlineData("--orleans-postgres", "Host=x;Search Path=a,b", "--orleans-postgres: Search Path in the PostgreSQL connection string must be one schema")]
    public async Task OrleansClient_BadOption_OneLineNamingItExitTwoNothingWritten(string option, string value, string expected)
    {
        using var scratch = new TemporaryDirectory();
        var outDirectory = scratch.Combine("out");
        var closed = ClosedPort().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = await RunAsync([.. Job, option, value.Replace("{closed}", closed, StringComparison.Ordinal), "--connect-timeout", "2", "--out", outDirectory]);

        Assert.Equal(ExitCodes.BadInput, result.Exit);
        Assert.StartsWith("orleansflow: " + expected.Replace("{closed}", closed, StringComparison.Ordinal), result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(outDirectory));
    }

    [Theory]
    [InlineData(new[] { "--cluster", "http://127.0.0.1:1", "--token", "t", "--gateways", "127.0.0.1:1" }, "--gateways: cannot be combined with --cluster")]
    [InlineData(new[] { "--orleans-postgres", "Host=x", "--gateways", "127.0.0.1:1" }, "--gateways: cannot be combined with --orleans-postgres")]
    [InlineData(new[] { "--gateways", "127.0.0.1:1", "--token", "t" }, "--token: applies to --cluster (the HTTP API)")]
    [InlineData(new[] { "--cluster", "http://127.0.0.1:1", "--token", "t", "--cluster-id", "c" }, "--cluster-id: applies to the Orleans client")]
    [InlineData(new[] { "--cluster-id", "c" }, "--cluster-id: applies to cluster mode only")]
    [InlineData(new[] { "--gateways", "127.0.0.1:1", "--connect-timeout", "0" }, "--connect-timeout: 0 is out of range")]
    [InlineData(new[] { "--gateways", "127.0.0.1:1", "--resume" }, "--gateways: a cluster job resumes by itself")]
    public async Task ClusterModes_ConflictingOptions_OneLineExitTwoNothingWritten(string[] options, string expected)
    {
        using var scratch = new TemporaryDirectory();
        var outDirectory = scratch.Combine("out");

        var result = await RunAsync([.. Job, .. options, "--out", outDirectory]);

        Assert.Equal(ExitCodes.BadInput, result.Exit);
        Assert.StartsWith("orleansflow: " + expected, result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(outDirectory));
    }

    /// <summary>A loopback port nothing listens on (taken, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int Exit, string Error)> RunAsync(string[] args)
    {
        var error = new StringWriter();
        var exit = await Cli.RunAsync(args, new StringWriter(), error);
        return (exit, error.ToString());
    }

    private string[] PostgresGateways(TestCluster cluster) =>
        ["--orleans-postgres", OrleansPostgres.ConnectionString(postgres.Server.ConnectionString, cluster.Schema), "--cluster-id", cluster.Schema];

    /// <summary>
    /// summary.json without the wall-clock fields (run and per-metric seconds), which differ between any
    /// two runs; <paramref name="afterFailover"/> also drops what the scheduler's last activation counted
    /// itself (samples it generated, shards it found done), which a re-activation on a survivor changes.
    /// </summary>
    private static async Task<string> SummaryAsync(string directory, bool afterFailover = false)
    {
        var summary = JobJson.Deserialize<JobSummary>(await File.ReadAllBytesAsync(Path.Combine(directory, "summary.json")));
        summary = summary with { Seconds = 0, SamplesPerSecond = 0, Evaluation = summary.Evaluation! with { Seconds = null } };
        return System.Text.Encoding.UTF8.GetString(JobJson.Serialize(afterFailover ? summary with { SamplesGenerated = 0, ResumedShards = 0 } : summary));
    }

    private static string JobIdOf(string error) => SubmittedLine().Match(error) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("no job submitted: " + error);

    [GeneratedRegex(@"job (\S+) submitted")]
    private static partial Regex SubmittedLine();
}
