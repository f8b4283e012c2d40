using System.Text.Json.Nodes;
using OrleansFlow.Client;
using OrleansFlow.Jobs;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;
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
        // The cluster takes registry names (docs/models.md), the embedded CLI the same files by path.
        await PushDigitsAsync(models, cluster);
        string[] options = ["--sampler", "euler:steps=2", "--samples", "600", "--shard-size", "150", "--batch-size", "50", "--metrics", "fid,sfid,is,prc,kid", "--quiet"];
        string[] named = ["fid", "--model", "digits-rf", "--features", "digits-eval", "--reference", "digits-batch", .. options];
        string[] local =
        [
            "fid", "--model", Path.Combine(models, "digits-rf"),
            "--features", Path.Combine(models, "digits-fid", "eval.pt"), "--reference", Path.Combine(models, "digits-fid", "reference-batch.npz"), .. options,
        ];
        var error = new StringWriter();

        var exit = await Cli.RunAsync([.. named, "--cluster", cluster.Silos[0].Address.ToString(), "--token", TestCluster.Token, "--out", Path.Combine(scratch, "cluster")], new StringWriter(), error);
        var embeddedExit = await Cli.RunAsync([.. local, "--out", Path.Combine(scratch, "embedded")], new StringWriter(), new StringWriter());

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

        // Sample-aware compilation is agreed across the cluster: both silos warmed the model for batches of 50
        // (each ran shards: the first dispatch gives each silo workers + 1 = 2 of the 4), one timed its forms.
        var scraped = await Task.WhenAll(cluster.Silos.Select(async silo => PrometheusText.Parse(await cluster.ScrapeAsync(silo))));
        Assert.All(scraped, metrics => Assert.True(metrics.Sum("orleansflow_model_warmup_duration_seconds_count", ("model", "digits-rf")) > 0, cluster.Logs()));
        Assert.Equal(
            [0, 3],
            scraped.Select(metrics => metrics.Sum("orleansflow_model_compilation_forward_seconds_count", ("role", "predictor"), ("batch", "50"))).Order());
    }

    /// <summary>The digits model (made self-contained: its features file copied in), eval features and reference batch, by name.</summary>
    internal static async Task PushDigitsAsync(string models, TestCluster cluster)
    {
        var registry = new ModelRegistry(new LocalDirectoryBlobStore(cluster.StorePath));
        var package = Path.Combine(cluster.Root, "digits-rf");
        Directory.CreateDirectory(package);
        foreach (var file in Directory.GetFiles(Path.Combine(models, "digits-rf")))
        {
            File.Copy(file, Path.Combine(package, Path.GetFileName(file)));
        }

        File.Copy(Path.Combine(models, "digits-fid", "features.pt"), Path.Combine(package, "features.pt"));
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(package, "model.json")))!;
        manifest["files"]!["features"] = "features.pt";
        await File.WriteAllTextAsync(Path.Combine(package, "model.json"), manifest.ToJsonString());
        await registry.PushAsync(RegistryKind.Model, package, RegistryName.Parse("digits-rf", "name"), default);
        await registry.PushAsync(RegistryKind.Features, Path.Combine(models, "digits-fid", "eval.pt"), RegistryName.Parse("digits-eval", "name"), default);
        await registry.PushAsync(RegistryKind.Reference, Path.Combine(models, "digits-fid", "reference-batch.npz"), RegistryName.Parse("digits-batch", "name"), default);
    }

    internal static string RepositoryRoot()
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
