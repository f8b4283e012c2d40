using Microsoft.Extensions.Options;
using OrleansFlow.Actors;
using OrleansFlow.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Silo.Api;
using OrleansFlow.Silo.Telemetry;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Hosting;

/// <summary>Wires a silo: configuration, cluster store, blob store, sampler actors, workers and the HTTP API.</summary>
public static class SiloHost
{
    /// <summary>
    /// Time given to hosted services on SIGTERM: enough to hand back leases, leave the cluster and
    /// drain (<see cref="SiloOptions.DrainDelaySeconds"/>). A pod's terminationGracePeriodSeconds must
    /// exceed it (k8s/base/silo-deployment.yaml; a test checks).
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(25);

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var section = builder.Configuration.GetSection(SiloOptions.Section);
        builder.Services.Configure<SiloOptions>(section);
        var options = section.Get<SiloOptions>() ?? new SiloOptions();
        Validate(options);

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);

        var nodeId = options.NodeId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        var address = options.AdvertisedAddress ?? builder.Configuration["ASPNETCORE_URLS"]?.Split(';')[0] ?? "unknown";
        builder.Services.AddSingleton(new SiloIdentity(nodeId, address));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SiloReadiness>();
        builder.Services.AddSingleton(new WorkerOptions
        {
            NodeId = nodeId,
            Workers = options.Workers,
            LeaseTtl = TimeSpan.FromSeconds(options.LeaseTtlSeconds),
            InjectedFault = PoisonShard.Parse(options.PoisonShard),
        });
        builder.Services.AddSingleton(_ => SiloRegistry.CreateResolver(options, nodeId));
        builder.Services.AddSingleton(services => new SamplerDirectory(
            new SamplerDirectoryOptions
            {
                IdleTimeout = TimeSpan.FromMinutes(options.SamplerIdleMinutes),
                MemoryBudgetBytes = options.SamplerMemoryBudgetBytes,
            },
            loader: services.GetRequiredService<Models.Registry.RegistryResolver>().LoadModel));
        builder.Services.AddSingleton<IClusterStore>(services => ClusterStores.Create(options, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton<IBlobStore>(_ => BlobStores.Create(options.Store, options.StoreContainer));
        builder.Services.AddSingleton<ShardExecutor>();
        builder.Services.AddSingleton<JobFinalizer>();
        builder.Services.AddSingleton(services => new WorkerLoop(
            services.GetRequiredService<IClusterStore>(),
            services.GetRequiredService<ShardExecutor>(),
            services.GetRequiredService<JobFinalizer>(),
            services.GetRequiredService<SamplerDirectory>(),
            services.GetRequiredService<WorkerOptions>(),
            services.GetRequiredService<ILogger<WorkerLoop>>()));
        builder.Services.AddHostedService<MigrationService>();
        builder.Services.AddHostedService<MembershipService>();
        builder.Services.AddHostedService<WorkerService>();
        builder.Services.AddSiloTelemetry(builder.Configuration, nodeId);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JobJson.Options.PropertyNamingPolicy;
            foreach (var converter in JobJson.Options.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }
        });

        var app = builder.Build();
        SiloTelemetry.Start(app.Services);
        var readiness = app.Services.GetRequiredService<SiloReadiness>();
        app.Lifetime.ApplicationStopping.Register(readiness.MarkDraining);
        app.UseMiddleware<BearerTokenMiddleware>();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", ReadyAsync);
        app.MapMetrics();
        JobsApi.Map(app);
        GenerateApi.Map(app);
        return app;
    }

    /// <summary>
    /// Ready when the migrations ran and the store answers now (a restarting database makes the silo
    /// unready); never once SIGTERM started the drain, so a Service stops routing requests here.
    /// </summary>
    private static async Task<IResult> ReadyAsync(SiloReadiness readiness, IClusterStore store, CancellationToken ct)
    {
        if (readiness.IsDraining)
        {
            return Results.Text("draining", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (!readiness.IsMigrated)
        {
            return Results.Text("migrations pending", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            return await store.IsReadyAsync(ct) ? Results.Text("ready") : Results.Text("store not ready", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Results.Text($"store unreachable: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>Settings that would make the silo unsafe or useless stop it at start with a one-line reason.</summary>
    private static void Validate(SiloOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Token))
        {
            throw new SpecException("OrleansFlow:Token", "must be set: every /v1 call needs this bearer token");
        }

        if (options.Workers < 1 || options.LeaseTtlSeconds < 1 || options.MaxAttempts < 1 || options.HeartbeatSeconds <= 0)
        {
            throw new SpecException("OrleansFlow", "Workers, MaxAttempts must be >= 1, LeaseTtlSeconds >= 1 and HeartbeatSeconds > 0");
        }

        if (options.DrainDelaySeconds < 0 || options.DrainDelaySeconds > ShutdownTimeout.TotalSeconds / 2)
        {
            throw new SpecException("OrleansFlow:DrainDelaySeconds", $"must be 0-{ShutdownTimeout.TotalSeconds / 2} (half the shutdown timeout; the rest hands back leases)");
        }
    }
}
