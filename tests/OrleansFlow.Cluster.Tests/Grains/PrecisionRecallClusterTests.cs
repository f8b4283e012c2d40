using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Orleans.TestingHost;
using OrleansFlow.Formats;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;
using OrleansFlow.Silo.Embedded;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Telemetry;
using OrleansFlow.Testing;
using Xunit.Abstractions;

namespace OrleansFlow.Cluster.Tests.Grains;

/// <summary>
/// Precision/recall's blocks spread over Orleans' in-process 3-silo TestCluster by the finaliser
/// (<see cref="ClusterManifoldBlockRunner"/>), against the same job run embedded (its own threads).
/// </summary>
public sealed class PrecisionRecallClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _scratch = new();

    [Fact]
    public async Task FidJobWithPrc_ThreeSilos_BlocksRunOnSeveralSilosWithTheCountsAndRadiiOfEmbeddedAndRadiiBlobsAreReused()
    {
        var spec = await SpecAsync();
        var embedded = await EmbeddedAsync(spec);
        using var blocks = new BlockListener();
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), shardDelay: TimeSpan.Zero, blockDelay: TimeSpan.Zero, output);
        try
        {
            var submitted = await cluster.Client.GetGrain<IJobsGrain>(0).SubmitAsync(spec, idempotencyKey: null);
            Assert.Null(submitted.Error);
            var record = await TestClusters.WaitForEndAsync(cluster, submitted.Job!.Job);

            output.WriteLine($"blocks: {blocks}");
            Assert.True(record.State == JobState.Succeeded, record.Error);
            Assert.Equal(embedded.Evaluation!.PrecisionRecallCounts, record.Summary!.Evaluation!.PrecisionRecallCounts);
            Assert.True(blocks.SilosWith("completed") >= 2, $"blocks ran on {blocks.SilosWith("completed")} silo(s): {blocks}");
            Assert.Equal(0, blocks.Total("failed"));
            var jobDirectory = Path.Combine(TestSilos.BlobRoot, "jobs", submitted.Job.Job);
            AssertRadiiAreTheFullScans(jobDirectory, spec);

            // A re-run finaliser reuses the radii blocks already written: with a shard record gone, a
            // fresh worker still completes a radii block (it never reads its inputs), while a count block,
            // which must read them, fails.
            File.Delete(Path.Combine(jobDirectory, "shards", "00000.npz"));
            var worker = cluster.Client.GetGrain<IManifoldWorkerGrain>(new ManifoldWorkerKey(cluster.Primary!.SiloAddress.ToParsableString(), submitted.Job.Job).ToGrainKey());
            await worker.RadiiAsync(new ManifoldBlockWork(submitted.Job.Job, spec, ManifoldSide.Generated, 0, 1000, ManifoldEstimate.DefaultNeighbours, 1000));
            var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => worker.CountInsideAsync(new ManifoldBlockWork(submitted.Job.Job, spec, ManifoldSide.Generated, 0, 1000, 0, 1000)));
            Assert.Contains("shards/00000.npz", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task FidJobWithPrc_BlockSiloKilledMidPass_BlocksRunElsewhereWithTheCountsOfEmbedded()
    {
        var spec = await SpecAsync();
        var embedded = await EmbeddedAsync(spec);
        using var blocks = new BlockListener();
        // Each block waits 1.5 s first, so the generated radii blocks (one or more on every silo) are in flight when the kill lands.
        var cluster = await TestClusters.DeployAsync(_scratch.Combine("blobs"), shardDelay: TimeSpan.Zero, blockDelay: TimeSpan.FromMilliseconds(1500), output);
        try
        {
            var submitted = await cluster.Client.GetGrain<IJobsGrain>(0).SubmitAsync(spec, idempotencyKey: null);
            Assert.Null(submitted.Error);
            var job = submitted.Job!.Job;
            var finaliser = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(cluster.Client.GetGrain<IJobSchedulerGrain>(job));
            // Not the primary (it holds the test cluster's membership) and not the finaliser's silo.
            var victim = cluster.SecondarySilos.First(s => !s.SiloAddress.Equals(finaliser));
            var referenceRadii = Path.Combine(TestSilos.BlobRoot, "jobs", job, "prc", "reference-radii");
            await TestClusters.WaitAsync(() => Task.FromResult(Directory.Exists(referenceRadii) && Directory.GetFiles(referenceRadii).Length == 2), "the reference radii pass to end");
            var clock = Stopwatch.StartNew();
            await cluster.KillSiloAsync(victim);

            var record = await TestClusters.WaitForEndAsync(cluster, job);
            output.WriteLine($"killed {victim.SiloAddress} as the generated radii pass began; job ended {record.State} {clock.Elapsed.TotalSeconds:F1} s later; blocks: {blocks}");
            Assert.True(record.State == JobState.Succeeded, record.Error);
            Assert.True(blocks.Count(victim.SiloAddress.ToParsableString(), "failed") >= 1, $"no block failed on the killed silo: {blocks}");
            Assert.Equal(embedded.Evaluation!.PrecisionRecallCounts, record.Summary!.Evaluation!.PrecisionRecallCounts);
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    public void Dispose() => _scratch.Dispose();

    /// <summary>
    /// 4,000 gmm-demo samples (identity features, 192-d) against 1,500 other gmm-demo samples as an ADM
    /// reference batch: 4 generated and 2 reference blocks of 1,000 rows per pass.
    /// </summary>
    private async Task<JobSpec> SpecAsync()
    {
        var batch = _scratch.Combine("reference");
        var summary = await EmbeddedRunner.RunAsync(
            new JobSpec { Kind = JobKind.Fid, Model = "gmm-demo", Sampler = SamplerSpec.Heun(4), Samples = 1500, Seed = 99, Images = ImageOutput.Npz },
            batch,
            new RunOptions { Workers = 2 },
            progress: null,
            CancellationToken.None);
        Assert.Equal(1500, summary.Samples);
        return new JobSpec
        {
            Kind = JobKind.Fid,
            Model = "gmm-demo",
            Sampler = SamplerSpec.Heun(4),
            Samples = 4000,
            ShardSize = 500,
            BatchSize = 250,
            Seed = 5,
            Reference = Path.Combine(batch, "samples.npz"),
            Metrics = "fid,prc",
        };
    }

    private async Task<JobSummary> EmbeddedAsync(JobSpec spec)
    {
        var summary = await EmbeddedRunner.RunAsync(spec, _scratch.Combine("embedded"), new RunOptions { Workers = 2 }, progress: null, CancellationToken.None);
        var counts = summary.Evaluation!.PrecisionRecallCounts!;
        output.WriteLine($"embedded: precision {counts.GeneratedInside}/{counts.Generated}, recall {counts.ReferenceInside}/{counts.Reference}");
        // Neither share is trivial, so equal counts say something.
        Assert.InRange(counts.GeneratedInside, 1, counts.Generated - 1);
        Assert.InRange(counts.ReferenceInside, 1, counts.Reference - 1);
        return summary;
    }

    /// <summary>The generated radii blobs, in row order, are the radii of a scan on this process.</summary>
    private static void AssertRadiiAreTheFullScans(string jobDirectory, JobSpec spec)
    {
        var parts = new List<FeatureMatrix>();
        foreach (var shard in ShardRange.Plan(spec))
        {
            var arrays = NpzReader.Read(Path.Combine(jobDirectory, "shards", $"{shard.Index:D5}.npz"));
            parts.Add(FeatureMatrix.FromNpy(arrays[ShardEvaluation.PoolFeaturesKey], "pool"));
        }

        var points = new ManifoldPoints(FeatureMatrix.Concatenate(parts));
        var expected = ManifoldEstimate.Radii(points, new ManifoldBlock(0, points.Count));
        var files = Directory.GetFiles(Path.Combine(jobDirectory, "prc", "generated-radii")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(4, files.Count);
        double[] stored = [.. files.SelectMany(ReadRadii)];
        Assert.Equal(expected, stored);
    }

    private static double[] ReadRadii(string file)
    {
        using var stream = File.OpenRead(file);
        return Npy.Read(stream, file).ToDoubleArray();
    }

    /// <summary>The finalisers' <c>orleansflow.manifold.blocks</c> counts by (silo, outcome); the test silos share one meter.</summary>
    private sealed class BlockListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string Silo, string Outcome), long> _counts = new();

        public BlockListener()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OrleansFlowMetrics.Name && instrument.Name == "orleansflow.manifold.blocks")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? silo = null, outcome = null;
                foreach (var tag in tags)
                {
                    (silo, outcome) = tag.Key switch
                    {
                        "silo" => (tag.Value as string, outcome),
                        "outcome" => (silo, tag.Value as string),
                        _ => (silo, outcome),
                    };
                }

                _counts.AddOrUpdate((silo ?? "?", outcome ?? "?"), value, (_, n) => n + value);
            });
            _listener.Start();
        }

        public long Count(string silo, string outcome) => _counts.GetValueOrDefault((silo, outcome));

        public long Total(string outcome) => _counts.Where(c => c.Key.Outcome == outcome).Sum(c => c.Value);

        public int SilosWith(string outcome) => _counts.Count(c => c.Key.Outcome == outcome && c.Value > 0);

        public override string ToString() => string.Join(", ", _counts.OrderBy(c => c.Key.Silo).Select(c => $"{c.Key.Silo} {c.Key.Outcome} {c.Value}"));

        public void Dispose() => _listener.Dispose();
    }
}
