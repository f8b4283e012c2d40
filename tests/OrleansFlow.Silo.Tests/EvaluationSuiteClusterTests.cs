using OrleansFlow.Client;
using OrleansFlow.Jobs;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>The evaluation suite through the cluster: real silo processes run the shards and the finaliser.</summary>
[Collection(SiloCollection.Name)]
public sealed class EvaluationSuiteClusterTests(PostgresFixture postgres)
{
    [Fact]
    public async Task ClientWithCluster_DigitsSuite_SameMetricsAsEmbedded()
    {
        var models = Path.Combine(RepositoryRoot(), "models");
        await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 2);
        var scratch = Path.Combine(cluster.Root, "client");
        string[] job =
        [
            "fid", "--model", Path.Combine(models, "digits-rf"), "--sampler", "euler:steps=2", "--samples", "600", "--shard-size", "150", "--batch-size", "50",
            "--features", Path.Combine(models, "digits-fid", "eval.pt"), "--reference", Path.Combine(models, "digits-fid", "reference-batch.npz"),
            "--metrics", "fid,sfid,is,prc,kid", "--quiet",
        ];
        var error = new StringWriter();

        var exit = await Cli.RunAsync([.. job, "--cluster", cluster.Silos[0].Address.ToString(), "--token", TestCluster.Token, "--out", Path.Combine(scratch, "cluster")], new StringWriter(), error);
        var embeddedExit = await Cli.RunAsync([.. job, "--out", Path.Combine(scratch, "embedded")], new StringWriter(), new StringWriter());

        Assert.True(exit == 0, error + cluster.Logs());
        Assert.Equal(0, embeddedExit);
        var fromCluster = JobJson.Deserialize<JobSummary>(await File.ReadAllBytesAsync(Path.Combine(scratch, "cluster", "summary.json")));
        var fromEmbedded = JobJson.Deserialize<JobSummary>(await File.ReadAllBytesAsync(Path.Combine(scratch, "embedded", "summary.json")));
        var (cluster5, embedded5) = (fromCluster.Evaluation!, fromEmbedded.Evaluation!);
        Assert.Equal(["fid", "sfid", "is", "prc", "kid"], cluster5.Metrics);
        Assert.Equal(fromEmbedded.Fid, fromCluster.Fid);
        Assert.Equal(embedded5.Sfid, cluster5.Sfid);
        Assert.Equal(embedded5.InceptionScore, cluster5.InceptionScore);
        Assert.Equal(embedded5.PrecisionRecallCounts, cluster5.PrecisionRecallCounts);
        Assert.Equal(embedded5.Kid, cluster5.Kid);
        Assert.Equal(embedded5.KidSpread, cluster5.KidSpread);
        Assert.Equal(embedded5.FidSpread, cluster5.FidSpread);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrleansFlow.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (OrleansFlow.sln) is not above the test binaries.");
    }
}
