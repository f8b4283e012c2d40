using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using Orleans.Dashboard;
using OrleansFlow.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Serving;
using OrleansFlow.Models.Registry;
using OrleansFlow.Silo.Api;
using OrleansFlow.Silo.Telemetry;
using OrleansFlow.Storage;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Wires a silo: an ASP.NET Core host with an Orleans silo (<c>UseOrleans</c>) running the sampler and
/// scheduler grains, the blob store, the job catalog, the HTTP API and the dashboard.
/// </summary>
public static partial class SiloHost
{
    /// <summary>
    /// Time given to the host on SIGTERM: enough to hand back shards, leave the membership table and
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
        if (!string.IsNullOrWhiteSpace(options.Cpus))
        {
            CpuAffinity.PinProcess(CpuAffinity.Parse(options.Cpus));
        }

        KeepThreadsBeyondShards(options.Workers);
        var advertised = AdvertisedAddress(options);
        RequireFreePort(advertised, options.SiloPort, "OrleansFlow:SiloPort");
        RequireFreePort(advertised, options.GatewayPort, "OrleansFlow:GatewayPort");

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);

        var nodeId = options.NodeId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        builder.Services.AddSingleton(new SiloIdentity(nodeId, $"{advertised}:{options.SiloPort}"));
        builder.Services.AddSingleton<SiloReadiness>();
        builder.Services.AddSingleton(_ => new GenerateExecutor(options.GenerateThreads, options.MaxConcurrentGenerates));
        builder.Services.AddSingleton(services => new GenerateBatchers(
            services.GetRequiredService<GenerateExecutor>(),
            new GenerateBatchOptions(TimeSpan.FromMilliseconds(options.GenerateBatchWaitMilliseconds), options.GenerateMaxBatchSamples)));
        var blobs = BlobStores.Create(options.Store, options.StoreContainer);
        // Key and certificate files are read at start: a missing or malformed one stops the silo naming its setting.
        var registryTrust = RegistryTrust.FromFiles(options.RegistryKeys, $"{SiloOptions.Section}:{nameof(SiloOptions.RegistryKeys)}");
        var tls = ClusterTlsOf(options);
        builder.UseOrleans(silo =>
        {
            silo.Configure<Orleans.Configuration.SiloOptions>(orleans => orleans.SiloName = nodeId);
            silo.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = SiloOptions.ServiceId;
            });
            silo.Configure<EndpointOptions>(endpoints =>
            {
                endpoints.AdvertisedIPAddress = advertised;
                endpoints.SiloPort = options.SiloPort;
                endpoints.GatewayPort = options.GatewayPort;
            });
            ClusterProviders.Use(silo, options);
            tls?.Apply(silo);
            silo.UseOrleansFlowKubernetes();
            silo.Services.AddSingleton<IJobStorage>(new SharedJobStorage(blobs));
            // Over the API only registry names load (docs/models.md); replaces the catalog's local paths.
            silo.Services.AddSingleton(_ => SiloRegistry.CreateResolver(options, nodeId, registryTrust));
            silo.Services.AddSingleton<RegistryModelLoader>();
            silo.Services.AddSingleton<IModelLoader>(services => options.TestModels
                ? new TestModelLoader(services.GetRequiredService<RegistryModelLoader>())
                : services.GetRequiredService<RegistryModelLoader>());
            silo.AddOrleansFlow(new OrleansFlowOptions
            {
                Workers = options.Workers,
                MaxAttempts = options.MaxAttempts,
                Limits = options.Limits,
                MaxQueueWait = TimeSpan.FromSeconds(options.MaxQueueWaitSeconds),
                SamplerIdle = TimeSpan.FromMinutes(options.SamplerIdleMinutes),
                SamplerMemoryBudgetBytes = options.SamplerMemoryBudgetBytes,
                InjectedFault = PoisonShard.Parse(options.PoisonShard),
                ShardDelay = TimeSpan.FromMilliseconds(options.ShardDelayMilliseconds),
                NodeClass = string.IsNullOrWhiteSpace(options.NodeClass) ? NodeClasses.OfThisMachine : options.NodeClass,
            });
            silo.AddDashboard();
        });
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
        app.Lifetime.ApplicationStarted.Register(readiness.MarkMigrated);
        // Stopping callbacks run last-registered first: /readyz turns 503, then the drain delay holds the host.
        app.Lifetime.ApplicationStopping.Register(() => Drain(options));
        app.Lifetime.ApplicationStopping.Register(readiness.MarkDraining);
        app.UseMiddleware<BearerTokenMiddleware>();
        ApiError.UseSpecErrors(app);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", ReadyAsync);
        app.MapMetrics();
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        DashboardLogin.Map(app);
        JobsApi.Map(app);
        GenerateApi.Map(app);
        return app;
    }

    /// <summary>
    /// The one line to print when the silo could not start: PostgreSQL unreachable (the migration at the
    /// silo's first start-up stage fails) names <c>OrleansFlow:Postgres</c>; null for other errors.
    /// </summary>
    public static string? StartupFailure(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException || e.Message.StartsWith("PostgreSQL at ", StringComparison.Ordinal))
            {
                var message = e.Message.StartsWith("PostgreSQL at ", StringComparison.Ordinal) ? e.Message : $"PostgreSQL: {e.Message}";
                return $"{ClusterProviders.PostgresSetting}: {message.Split('\n')[0].Trim()}";
            }
        }

        return null;
    }

    /// <summary>
    /// Keeps answering HTTP (with <c>/readyz</c> 503) for the drain delay after SIGTERM, so endpoints and
    /// load balancers stop routing here before the server stops accepting connections.
    /// </summary>
    private static void Drain(SiloOptions options)
    {
        if (options.DrainDelaySeconds > 0)
        {
            Thread.Sleep(TimeSpan.FromSeconds(options.DrainDelaySeconds));
        }
    }

    /// <summary>
    /// Ready once the silo joined the cluster and the job catalog answers; never once SIGTERM started the drain.
    /// The probe is unauthenticated: it answers "ready" or "not ready" and nothing else; why is in the silo's log.
    /// </summary>
    private static async Task<IResult> ReadyAsync(SiloReadiness readiness, IJobCatalog catalog, ILoggerFactory logs, CancellationToken ct)
    {
        if (readiness.IsDraining || !readiness.IsMigrated)
        {
            return NotReady;
        }

        try
        {
            await catalog.ListAsync(1, ct);
            return Results.Text("ready");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCatalogUnreachable(logs.CreateLogger(typeof(SiloReadiness)), e);
            return NotReady;
        }
    }

    /// <summary>
    /// Shards run CPU-bound on the thread pool (<see cref="SiloOptions.Workers"/> at once, each may fan out
    /// over the cores). Were the pool's minimum no larger than the cores, busy shards would hold every
    /// thread and a membership probe, grain call or HTTP request would wait for the pool to add threads
    /// (about one per second when starved): long enough for peers to miss probes (issue 16, item 5).
    /// With threads to spare the kernel time-slices them against the shards within milliseconds.
    /// </summary>
    private static void KeepThreadsBeyondShards(int workers)
    {
        ThreadPool.GetMinThreads(out var workerThreads, out var completionThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, ((workers + 1) * Environment.ProcessorCount) + 4), completionThreads);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "/readyz: not ready, the job catalog does not answer")]
    private static partial void LogCatalogUnreachable(ILogger logger, Exception error);

    private static IResult NotReady => Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable);

    /// <summary>Settings that would make the silo unsafe or useless stop it at start with a one-line reason.</summary>
    private static void Validate(SiloOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Token))
        {
            throw new SpecException("OrleansFlow:Token", "must be set: every /v1 call needs this bearer token");
        }

        if (options.MaxConcurrentGenerates < 1 || options.GenerateThreads < 1 || options.GenerateMaxBatchSamples < 1 || options.GenerateBatchWaitMilliseconds is < 0 or > 1000)
        {
            throw new SpecException("OrleansFlow", "MaxConcurrentGenerates, GenerateThreads and GenerateMaxBatchSamples must be >= 1, GenerateBatchWaitMilliseconds 0..1000");
        }

        if (options.Workers < 1 || options.MaxAttempts < 1)
        {
            throw new SpecException("OrleansFlow", "Workers and MaxAttempts must be >= 1");
        }

        if (options.MaxQueueWaitSeconds is not (> 0 and <= 3600))
        {
            throw new SpecException("OrleansFlow:MaxQueueWaitSeconds", $"{options.MaxQueueWaitSeconds} is out of range: allowed (0, 3600]");
        }

        if (options.MembershipProbeTimeoutSeconds is not (>= 1 and <= 30))
        {
            throw new SpecException("OrleansFlow:MembershipProbeTimeoutSeconds", $"{options.MembershipProbeTimeoutSeconds} is out of range: allowed 1-30 seconds");
        }

        if (options.PostgresPoolSize is < 1 or > 1000)
        {
            throw new SpecException("OrleansFlow:PostgresPoolSize", $"{options.PostgresPoolSize} is out of range: allowed 1-1000 connections");
        }

        foreach (var (name, port) in new[] { ("SiloPort", options.SiloPort), ("GatewayPort", options.GatewayPort) })
        {
            if (port is < 1 or > 65535)
            {
                throw new SpecException($"OrleansFlow:{name}", $"{port} is out of range: allowed 1-65535");
            }
        }

        options.Limits.Validate($"{SiloOptions.Section}:{JobLimits.Section}");
        if (options.DrainDelaySeconds < 0 || options.DrainDelaySeconds > ShutdownTimeout.TotalSeconds / 2)
        {
            throw new SpecException("OrleansFlow:DrainDelaySeconds", $"must be 0-{ShutdownTimeout.TotalSeconds / 2} (half the shutdown timeout; the rest hands back shards)");
        }
    }

    /// <summary>Mutual TLS when <see cref="SiloOptions.TlsCertificate"/> is set; its files are read now, so a bad one stops the silo naming the setting.</summary>
    private static ClusterTls? ClusterTlsOf(SiloOptions options)
    {
        const string Prefix = SiloOptions.Section + ":";
        if (string.IsNullOrWhiteSpace(options.TlsCertificate))
        {
            return string.IsNullOrWhiteSpace(options.TlsCa) && string.IsNullOrWhiteSpace(options.TlsKey)
                ? null
                : throw new SpecException(Prefix + nameof(SiloOptions.TlsCertificate), "must be set with TlsCa/TlsKey: the silo's certificate (PEM)");
        }

        return string.IsNullOrWhiteSpace(options.TlsCa)
            ? throw new SpecException(Prefix + nameof(SiloOptions.TlsCa), "must be set with TlsCertificate: the cluster's CA certificate (PEM)")
            : ClusterTls.Load(options.TlsCertificate, string.IsNullOrWhiteSpace(options.TlsKey) ? null : options.TlsKey, options.TlsCa,
                (Prefix + nameof(SiloOptions.TlsCertificate), Prefix + nameof(SiloOptions.TlsKey), Prefix + nameof(SiloOptions.TlsCa)));
    }

    private static IPAddress AdvertisedAddress(SiloOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress))
        {
            return IPAddress.TryParse(options.AdvertisedAddress, out var address)
                ? address
                : throw new SpecException("OrleansFlow:AdvertisedAddress", $"'{options.AdvertisedAddress}' is not an IP address");
        }

        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            return IPAddress.Loopback;
        }

        return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
    }

    /// <summary>Orleans would fail later with a long stack trace; say which setting holds the busy port instead.</summary>
    private static void RequireFreePort(IPAddress address, int port, string setting)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new SpecException(setting, $"port {port} cannot be used ({e.SocketErrorCode}): pick a free port (advertised address {address})");
        }
    }
}
