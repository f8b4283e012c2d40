using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansFlow.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

namespace OrleansFlow.Grains.Tests.Cluster;

/// <summary>
/// Grain state written by one version of the code must stay readable by the next: a ledger stored by
/// layout version 1 (committed, <c>Golden/ledger_v1.bin</c>) is read back through the storage serializer
/// every silo uses. Regenerate only for a new layout version, beside the old file, never over it:
/// <c>ORLEANSFLOW_WRITE_GOLDEN=1 dotnet test --filter JobLedgerGoldenTests</c> writes missing files.
/// </summary>
public sealed class JobLedgerGoldenTests
{
    private static readonly string GoldenDirectory = Path.Combine(AppContext.BaseDirectory, "Cluster", "Golden");

    [Fact]
    public void GoldenLedgerV1_ReadsBackWithShardsStateAndSummary()
    {
        var bytes = Golden("ledger_v1.bin", LedgerV1());

        var ledger = StorageSerializer().Deserialize<JobLedger>(BinaryData.FromBytes(bytes))!;

        Assert.Equal(1, ledger.Version);
        Assert.Equal(JobState.Succeeded, ledger.State);
        Assert.Equal(3, ledger.Shards.Count);
        Assert.All(ledger.Shards, s => Assert.Equal(ShardStatus.Done, s.Status));
        Assert.Equal([1, 2, 1], ledger.Shards.Select(s => s.Attempts));
        Assert.Equal("lost on silo S127.0.0.1:11111:1@1: SiloUnavailableException", ledger.Shards[1].Error);
        Assert.Equal(4L, ledger.LastToken);
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 7, 0, 0, TimeSpan.Zero), ledger.StartedAt);
        Assert.Equal(3_000L, ledger.SamplesGenerated);
        Assert.Equal(JobJson.Serialize(Summary()), JobJson.Serialize(ledger.Summary!));
        Assert.Equal(SamplerSpec.Parse("flowturbo:h=1,p=4,r=2"), ledger.Summary!.Spec.Sampler);
    }

    [Fact]
    public void LedgerWithSummary_RoundTripsThroughTheStorageSerializer()
    {
        var serializer = StorageSerializer();
        var ledger = LedgerV1();

        var read = serializer.Deserialize<JobLedger>(serializer.Serialize(ledger))!;

        Assert.Equal(JobJson.Serialize(ledger.Summary!), JobJson.Serialize(read.Summary!));
        Assert.Equal(ledger.Shards.Select(s => (s.Status, s.Attempts, s.Token, s.Silo, s.Error)), read.Shards.Select(s => (s.Status, s.Attempts, s.Token, s.Silo, s.Error)));
        Assert.Equal((ledger.State, ledger.FinishedAt, ledger.Version), (read.State, read.FinishedAt, read.Version));
    }

    /// <summary>The serializer the silos register for grain storage (<see cref="GrainStateSerializer"/>).</summary>
    internal static IGrainStorageSerializer StorageSerializer()
    {
        var services = new ServiceCollection()
            .AddSerializer(builder => builder.AddAssembly(typeof(JobLedger).Assembly).AddAssembly(typeof(JobSummaryConverter).Assembly))
            .BuildServiceProvider();
        return GrainStateSerializer.Create(services.GetRequiredService<Serializer>());
    }

    private static byte[] Golden(string name, JobLedger ledger)
    {
        var path = Path.Combine(GoldenDirectory, name);
        if (!File.Exists(path) && Environment.GetEnvironmentVariable("ORLEANSFLOW_WRITE_GOLDEN") == "1")
        {
            // Written into the source tree, to be committed.
            var source = Path.Combine(FindRepository(), "tests", "OrleansFlow.Grains.Tests", "Cluster", "Golden", name);
            File.WriteAllBytes(source, StorageSerializer().Serialize(ledger).ToArray());
            return File.ReadAllBytes(source);
        }

        return File.ReadAllBytes(path);
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansFlow.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OrleansFlow.sln not found above the test assembly");
    }

    /// <summary>What the golden file holds: a finished 3-shard job whose second shard was lost once.</summary>
    private static JobLedger LedgerV1() => new()
    {
        State = JobState.Succeeded,
        Shards =
        [
            new ShardEntry { Status = ShardStatus.Done, Attempts = 1, Token = 1, Silo = "S127.0.0.1:11111:1@1" },
            new ShardEntry { Status = ShardStatus.Done, Attempts = 2, Token = 4, Silo = "S127.0.0.1:11112:1@1", Error = "lost on silo S127.0.0.1:11111:1@1: SiloUnavailableException" },
            new ShardEntry { Status = ShardStatus.Done, Attempts = 1, Token = 3, Silo = "S127.0.0.1:11112:1@1" },
        ],
        LastToken = 4,
        StartedAt = new DateTimeOffset(2026, 12, 5, 7, 0, 0, TimeSpan.Zero),
        FinishedAt = new DateTimeOffset(2026, 12, 5, 7, 0, 9, TimeSpan.Zero),
        Summary = Summary(),
        SamplesGenerated = 3_000,
        ResumedShards = 0,
    };

    private static JobSummary Summary() => new()
    {
        Kind = JobKind.Fid,
        Spec = new JobSpec { Kind = JobKind.Fid, Model = "gmm-demo", Sampler = SamplerSpec.Parse("flowturbo:h=1,p=4,r=2"), Samples = 3_000, ShardSize = 1_000, Seed = 42 },
        Samples = 3_000,
        Nfe = new NfeCount(6, 4),
        Seconds = 9.0,
        SamplesGenerated = 3_000,
        SamplesPerSecond = 333.3,
        Backend = "cpu",
        Shape = "[2]",
        Labels = LabelMode.Random,
        Fid = 0.0123,
        Reference = "exact moments of gmm-demo",
        FrechetMethod = "sqrtm",
        Outputs = ["jobs/x/summary.json", "jobs/x/stats.npz"],
    };
}
