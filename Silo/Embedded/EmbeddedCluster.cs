using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using OrleansFlow.Cluster;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Embedded;

/// <summary>
/// One Orleans silo in this process running the cluster's own grains — a scheduler per job, a sampler
/// per model — with localhost clustering on free ports (two runs at once do not collide), in-memory
/// grain storage, reminders and job catalog, and each job's output directory as its blob store. Jobs
/// run one after another on it keep their models warm (fid-table runs all rows on one silo).
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private static readonly TimeSpan StatusPoll = TimeSpan.FromMilliseconds(20);
    private readonly IHost _host;
    private readonly EmbeddedJobs _jobs;
    private readonly LocalModelLoader _models;

    private EmbeddedCluster(IHost host, EmbeddedJobs jobs, LocalModelLoader models, TimeSpan startup)
    {
        _host = host;
        _jobs = jobs;
        _models = models;
        Startup = startup;
    }

    /// <summary>How long the silo took to start.</summary>
    public TimeSpan Startup { get; }

    /// <summary>The silo's model loader: paths and registry names resolve here as in the runs (registry entries fetched once).</summary>
    public IModelLoader Models => _models;

    private IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    private string LocalSilo => _host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();

    /// <param name="workers">Shards run at once.</param>
    /// <param name="registry">The model registry that names other than local paths resolve in (<see cref="LocalModelLoader"/>), or null.</param>
    public static async Task<EmbeddedCluster> StartAsync(int workers, string? registry, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        var clock = Stopwatch.StartNew();
        var jobs = new EmbeddedJobs();
        var models = new LocalModelLoader(registry);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: "orleansflow-embedded", clusterId: $"embedded-{Environment.ProcessId}");
            silo.Configure<EndpointOptions>(endpoints => endpoints.AdvertisedIPAddress = IPAddress.Loopback);
            silo.AddMemoryGrainStorage(OrleansFlowOptions.StorageName);
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<IJobStorage>(jobs);
            silo.Services.AddSingleton<IShardProgress>(jobs);
            silo.Services.AddSingleton<IModelLoader>(models);
            // One attempt: a shard that throws here will throw again; fail fast and let the user --resume.
            silo.AddOrleansFlow(new OrleansFlowOptions { Workers = workers, MaxAttempts = 1, UseResumeReminder = false, DistributePrecisionRecall = false });
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new EmbeddedCluster(host, jobs, models, clock.Elapsed);
    }

    /// <summary>
    /// Runs a whole job into <paramref name="outputDirectory"/>. Each shard's result is written atomically
    /// and a shard whose result exists is not run again, so killing the process at any point loses at
    /// most the shards in flight and <c>--resume</c> finishes the rest.
    /// </summary>
    public async Task<JobSummary> RunAsync(
        JobSpec spec, string outputDirectory, RunOptions options, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        // A bad option fails here, before anything is written; the sampler is warm afterwards, before the clock starts.
        await WarmAsync(spec, cancellationToken);

        OutputDirectory.Prepare(outputDirectory, spec, options);
        var existing = new LocalDirectoryBlobStore(outputDirectory);
        var layout = new JobLayout();
        if (await existing.ExistsAsync(layout.Summary, cancellationToken))
        {
            // A resume of a finished job: nothing to do, report what it produced.
            return JobJson.Deserialize<JobSummary>(await existing.ReadAllBytesAsync(layout.Summary, cancellationToken));
        }

        var alreadyDone = await SamplesAlreadyDoneAsync(spec, existing, layout, cancellationToken);
        var clock = Stopwatch.StartNew();
        long generated = 0;
        progress?.Report(new JobProgress(alreadyDone, spec.Samples, 0, TimeSpan.Zero));
        var id = JobId.New();
        _jobs.Register(id, outputDirectory, samples =>
        {
            var total = Interlocked.Add(ref generated, samples);
            progress?.Report(new JobProgress(alreadyDone + total, spec.Samples, total, clock.Elapsed));
        });
        try
        {
            var catalog = _host.Services.GetRequiredService<IJobCatalog>();
            await catalog.AddAsync(new JobSubmission(id, spec, IdempotencyKey: null, MaxAttempts: 1), cancellationToken);
            var scheduler = Grains.GetGrain<IJobSchedulerGrain>(id.Value);
            var record = await scheduler.StartAsync(cancellationToken);
            while (record is { IsFinished: false })
            {
                try
                {
                    await Task.Delay(StatusPoll, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    await scheduler.CancelAsync(CancellationToken.None);
                    throw;
                }

                record = await scheduler.GetAsync(cancellationToken);
            }

            OutputDirectory.Tidy(outputDirectory);
            return record is { State: JobState.Succeeded, Summary: { } summary }
                ? summary
                : throw new JobFailedException(record?.Error ?? $"job ended {record?.State}");
        }
        finally
        {
            _jobs.Forget(id);
        }
    }

    /// <summary>Loads and warms <paramref name="spec"/>'s model for its batch shapes, so a timed run does not pay for it.</summary>
    public async Task WarmAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        if (await Sampler(spec.Model).PrepareAsync(spec, cancellationToken) is { } error)
        {
            throw error.ToException();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            _host.Dispose();
            _models.Dispose();
        }
    }

    private ISamplerGrain Sampler(string model) => Grains.GetGrain<ISamplerGrain>(new SamplerGrainKey(LocalSilo, model).ToGrainKey());

    private static async Task<long> SamplesAlreadyDoneAsync(JobSpec spec, LocalDirectoryBlobStore blobs, JobLayout layout, CancellationToken cancellationToken)
    {
        long done = 0;
        foreach (var shard in ShardRange.Plan(spec))
        {
            if (await blobs.ExistsAsync(layout.ShardResult(shard.Index, spec.Kind), cancellationToken))
            {
                done += shard.Count;
            }
        }

        return done;
    }

    /// <summary>A port nobody listens on now (the silo binds it a moment later; a collision fails the start loudly).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
