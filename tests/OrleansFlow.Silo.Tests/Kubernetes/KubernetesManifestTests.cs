using OrleansFlow.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using OrleansFlow.Cluster;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Ids;
using OrleansFlow.Silo.Hosting;
using EndpointOptions = Orleans.Configuration.EndpointOptions;
using Orleans.Hosting.Kubernetes;

namespace OrleansFlow.Silo.Tests.Kubernetes;

/// <summary>
/// The manifests under <c>k8s/</c> agree with the code: the port the silo listens on, the settings it
/// reads, the routes it maps, its shutdown timeout, the metric names it renders, and the schema the
/// KEDA query reads (run on PostgreSQL).
/// </summary>
[Collection(SiloCollection.Name)]
public sealed partial class KubernetesManifestTests(PostgresFixture postgres)
{
    private const string Prefix = "OrleansFlow__";
    private static readonly Manifests K8s = Manifests.Load();
    private static readonly Manifest Deployment = K8s.Single("base", "Deployment", "orleansflow-silo");
    private static readonly Manifest Container = new(Deployment.File, (Dictionary<object, object>)Deployment.Get("spec.template.spec.containers.0")!);

    [Fact]
    public void Deployment_ContainerPort_IsTheAspNetCoreUrlsPortAndWhatProbesServiceAndScrapersUse()
    {
        var urls = Env(Container)["ASPNETCORE_URLS"];
        var port = new Uri(urls.Replace("+", "localhost", StringComparison.Ordinal)).Port;
        var http = Port(Container, "http");

        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), http["containerPort"]);
        Assert.Equal("http", http["name"]);
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            Assert.Equal("http", Container.Text($"{probe}.httpGet.port"));
        }

        var service = K8s.Single("base", "Service", "orleansflow-silo");
        Assert.Equal("http", service.Text("spec.ports.0.targetPort"));
        Assert.Equal("http", K8s.Single("base", "ServiceMonitor").Text("spec.endpoints.0.port"));
        Assert.Equal("http", service.Text("spec.ports.0.name"));
        var annotations = (Dictionary<object, object>)Deployment.Get("spec.template.metadata.annotations")!;
        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
        // Orleans' advertised address is an IP (peers and clients reach the pod at it), not a URL.
        Assert.Equal("$(POD_IP)", Env(Container)[Prefix + nameof(SiloOptions.AdvertisedAddress)]);
    }

    [Fact]
    public void Deployment_OrleansPorts_AreDeclaredOnTheContainerAndTheService()
    {
        var service = K8s.Single("base", "Service", "orleansflow-silo");
        var servicePorts = service.List("spec.ports").Cast<Dictionary<object, object>>().ToDictionary(p => (string)p["name"], StringComparer.Ordinal);

        // The ConfigMap's SiloPort and GatewayPort are what the silo listens on (SiloOptions), and Orleans' defaults.
        var config = (Dictionary<object, object>)K8s.Single("base", "ConfigMap", "orleansflow-silo").Get("data")!;
        foreach (var (name, setting, port) in new[]
        {
            ("silo", nameof(SiloOptions.SiloPort), EndpointOptions.DEFAULT_SILO_PORT),
            ("gateway", nameof(SiloOptions.GatewayPort), EndpointOptions.DEFAULT_GATEWAY_PORT),
        })
        {
            Assert.Equal(port.ToString(CultureInfo.InvariantCulture), config[Prefix + setting]);
            Assert.Equal(port.ToString(CultureInfo.InvariantCulture), Port(Container, name)["containerPort"]);
            Assert.Equal("TCP", Port(Container, name)["protocol"]);
            Assert.Equal(name, servicePorts[name]["targetPort"]);
            Assert.Equal(port.ToString(CultureInfo.InvariantCulture), servicePorts[name]["port"]);
        }
    }

    [Fact]
    public void Tls_SiloReadsTheMountedSecretsThreeFiles_CertManagerIssuesThemFromTheClustersOwnCa()
    {
        var config = (Dictionary<object, object>)K8s.Single("base", "ConfigMap", "orleansflow-silo").Get("data")!;
        var mount = Container.List("volumeMounts").Cast<Dictionary<object, object>>().Single(m => (string)m["name"] == "orleans-tls");
        var volume = Deployment.List("spec.template.spec.volumes").Cast<Dictionary<object, object>>().Single(v => (string)v["name"] == "orleans-tls");
        var secret = (string)((Dictionary<object, object>)volume["secret"])["secretName"];
        foreach (var (setting, key) in new[] { (nameof(SiloOptions.TlsCertificate), "tls.crt"), (nameof(SiloOptions.TlsKey), "tls.key"), (nameof(SiloOptions.TlsCa), "ca.crt") })
        {
            Assert.Equal($"{mount["mountPath"]}/{key}", config[Prefix + setting]);
        }

        Assert.Equal("true", mount["readOnly"]);
        var silo = K8s.Single("base", "Certificate", secret);
        Assert.Equal(secret, silo.Text("spec.secretName"));
        Assert.Equal(["client auth", "digital signature", "server auth"], silo.List("spec.usages").Cast<string>().Order(StringComparer.Ordinal));
        Assert.Equal(["client auth", "digital signature"], K8s.Single("base", "Certificate", "orleansflow-client-tls").List("spec.usages").Cast<string>().Order(StringComparer.Ordinal));
        // Both are signed by the CA issuer, whose CA certificate is the cluster's own (not a public CA).
        var issuer = K8s.Single("base", "Issuer", silo.Text("spec.issuerRef.name"));
        Assert.Equal(issuer.Name, K8s.Single("base", "Certificate", "orleansflow-client-tls").Text("spec.issuerRef.name"));
        Assert.True(K8s.Single("base", "Certificate", issuer.Text("spec.ca.secretName")).Get("spec.isCA") is "true");
    }

    [Fact]
    public void NetworkPolicy_SiloPortFromSilosOnly_GatewayFromSilosAndLabelledClients_HttpFromAnyone()
    {
        var policy = K8s.Single("base", "NetworkPolicy", "orleansflow-silo");
        var siloLabels = (Dictionary<object, object>)Deployment.Get("spec.template.metadata.labels")!;
        Assert.All((Dictionary<object, object>)policy.Get("spec.podSelector.matchLabels")!, l => Assert.Equal(siloLabels[l.Key], l.Value));
        var rules = policy.List("spec.ingress").Cast<Dictionary<object, object>>()
            .ToDictionary(r => (string)((Dictionary<object, object>)((List<object>)r["ports"]).Single())["port"], StringComparer.Ordinal);
        Assert.Equal(["gateway", "http", "silo"], rules.Keys.Order(StringComparer.Ordinal));
        Assert.All(rules.Keys, name => Port(Container, name));
        List<Dictionary<object, object>> From(string port) => [.. ((List<object>)rules[port]["from"]).Cast<Dictionary<object, object>>().Select(f => (Dictionary<object, object>)Manifest.At(f, "podSelector.matchLabels")!)];

        var fromSilos = Assert.Single(From("silo"));
        Assert.All(fromSilos, l => Assert.Equal(siloLabels[l.Key], l.Value));
        Assert.Equal(2, From("gateway").Count);
        Assert.Contains(From("gateway"), labels => labels.TryGetValue("orleansflow/client", out var value) && (string)value == "true");
        Assert.False(rules["http"].ContainsKey("from"));
    }

    [Fact]
    public void Deployment_KubernetesHosting_GetsItsEnvironmentFromTheDownwardApiAndItsIdsFromThePodLabels()
    {
        var labels = (Dictionary<object, object>)Deployment.Get("spec.template.metadata.labels")!;
        var env = FieldRefs(Container);

        Assert.Equal("metadata.name", env[KubernetesHostingOptions.PodNameEnvironmentVariable]);
        Assert.Equal("metadata.namespace", env[KubernetesHostingOptions.PodNamespaceEnvironmentVariable]);
        Assert.Equal("status.podIP", env[KubernetesHostingOptions.PodIPEnvironmentVariable]);
        // The agent lists pods by these labels and patches its own pod when they differ from its ids
        // (a verb the Role does not grant): reading the ids from the labels makes them agree.
        Assert.Equal($"metadata.labels['{KubernetesHostingOptions.ClusterIdLabel}']", env[KubernetesHostingOptions.ClusterIdEnvironmentVariable]);
        Assert.Equal($"metadata.labels['{KubernetesHostingOptions.ServiceIdLabel}']", env[KubernetesHostingOptions.ServiceIdEnvironmentVariable]);
        Assert.False(string.IsNullOrWhiteSpace(labels[KubernetesHostingOptions.ClusterIdLabel] as string));
        Assert.False(string.IsNullOrWhiteSpace(labels[KubernetesHostingOptions.ServiceIdLabel] as string));
        // The orleans labels stay out of the selector: changing a cluster id must not orphan the ReplicaSet.
        var selector = (Dictionary<object, object>)Deployment.Get("spec.selector.matchLabels")!;
        Assert.DoesNotContain(selector.Keys.Cast<string>(), k => k.StartsWith("orleans/", StringComparison.Ordinal));
    }

    [Fact]
    public void Rbac_RoleBinding_GrantsTheSilosServiceAccountGetListWatchOnPods()
    {
        var role = K8s.Single("base", "Role", "orleansflow-silo");
        var binding = K8s.Single("base", "RoleBinding", "orleansflow-silo");
        var rule = Assert.Single(role.List("rules").Cast<Dictionary<object, object>>());
        var subject = Assert.Single(binding.List("subjects").Cast<Dictionary<object, object>>());

        Assert.Equal([string.Empty], ((List<object>)rule["apiGroups"]).Cast<string>());
        Assert.Equal(["pods"], ((List<object>)rule["resources"]).Cast<string>());
        Assert.Equal(["get", "list", "watch"], ((List<object>)rule["verbs"]).Cast<string>().Order(StringComparer.Ordinal));
        Assert.Equal("ServiceAccount", subject["kind"]);
        Assert.Equal(Deployment.Text("spec.template.spec.serviceAccountName"), subject["name"]);
        Assert.Equal(K8s.Single("base", "ServiceAccount").Name, subject["name"]);
        Assert.Equal("Role", binding.Text("roleRef.kind"));
        Assert.Equal(role.Name, binding.Text("roleRef.name"));
        Assert.Equal("rbac.authorization.k8s.io", binding.Text("roleRef.apiGroup"));
        Assert.Contains(Path.GetFileName(role.File), K8s.Single("base", "Kustomization").List("resources").Cast<string>());
    }

    [Fact]
    public void Settings_EveryOrleansFlowKeyInEveryOverlay_NamesASiloOptionsProperty()
    {
        // Flat settings, plus one level of nesting for the options records among them (OrleansFlow__Limits__MaxSamples).
        var properties = typeof(SiloOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .SelectMany(p => p.PropertyType.IsClass && p.PropertyType != typeof(string)
                ? p.PropertyType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(n => n.CanWrite).Select(n => $"{p.Name}__{n.Name}")
                : [p.Name])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var keys = new List<(string Where, string Key)>();
        foreach (var document in K8s.Documents)
        {
            if (document.Kind is "ConfigMap" && document.Get("data") is Dictionary<object, object> data)
            {
                keys.AddRange(data.Keys.Select(k => (document.File, (string)k)));
            }

            if (document.Kind is "Secret" && document.Get("stringData") is Dictionary<object, object> secret)
            {
                keys.AddRange(secret.Keys.Select(k => (document.File, (string)k)));
            }

            foreach (var container in Containers(document))
            {
                keys.AddRange(Env(container).Keys.Select(k => (document.File, k)));
            }
        }

        foreach (var file in Directory.EnumerateFiles(K8s.Root, "*.env.example", SearchOption.AllDirectories))
        {
            keys.AddRange(File.ReadAllLines(file).Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => (file, l[..l.IndexOf('=', StringComparison.Ordinal)])));
        }

        var settings = keys.Where(k => k.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        Assert.True(settings.Count >= 10, $"only {settings.Count} settings found");
        Assert.All(settings, s => Assert.True(
            properties.Contains(s.Key[Prefix.Length..]),
            $"{s.Where}: {s.Key} names no SiloOptions property"));
        Assert.All(K8s.OfKind("ConfigMap").Where(c => c.Get("data") is Dictionary<object, object>), c =>
            Assert.All(((Dictionary<object, object>)c.Get("data")!).Keys.Cast<string>().Where(k => k.StartsWith("OrleansFlow", StringComparison.OrdinalIgnoreCase)),
                k => Assert.StartsWith(Prefix, k, StringComparison.Ordinal)));

        // The secrets every overlay must provide (the base Secret is empty placeholders).
        var baseSecret = (Dictionary<object, object>)K8s.Single("base", "Secret").Get("stringData")!;
        Assert.Equal(["OrleansFlow__Postgres", "OrleansFlow__Store", "OrleansFlow__Token"], baseSecret.Keys.Cast<string>().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Probes_AndScrapePath_AreRoutesTheSiloMaps()
    {
        // Free Orleans ports: another silo on this machine may hold the defaults.
        await using var app = SiloHost.Build(["--OrleansFlow:Token=manifest-test", "--urls=http://127.0.0.1:0", $"--OrleansFlow:SiloPort={FreePorts.Next()}", $"--OrleansFlow:GatewayPort={FreePorts.Next()}"]);
        var routes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).ToHashSet(StringComparer.Ordinal);
        var annotations = (Dictionary<object, object>)Deployment.Get("spec.template.metadata.annotations")!;

        Assert.Equal("/healthz", Container.Text("livenessProbe.httpGet.path"));
        Assert.Equal("/healthz", Container.Text("startupProbe.httpGet.path"));
        Assert.Equal("/readyz", Container.Text("readinessProbe.httpGet.path"));
        foreach (var path in new[] { Container.Text("livenessProbe.httpGet.path"), Container.Text("readinessProbe.httpGet.path"), (string)annotations["prometheus.io/path"], K8s.Single("base", "ServiceMonitor").Text("spec.endpoints.0.path") })
        {
            Assert.Contains(path!, routes);
        }
    }

    [Fact]
    public void Deployment_GpuAndGrace_RequestsAGpuAndOutlastsTheSilosShutdown()
    {
        var requests = (Dictionary<object, object>)Container.Get("resources.requests")!;
        var limits = (Dictionary<object, object>)Container.Get("resources.limits")!;
        var grace = int.Parse(Deployment.Text("spec.template.spec.terminationGracePeriodSeconds")!, CultureInfo.InvariantCulture);
        var preStop = int.Parse(Container.Text("lifecycle.preStop.sleep.seconds")!, CultureInfo.InvariantCulture);
        var drain = double.Parse((string)((Dictionary<object, object>)K8s.Single("base", "ConfigMap", "orleansflow-silo").Get("data")!)[Prefix + nameof(SiloOptions.DrainDelaySeconds)], CultureInfo.InvariantCulture);

        Assert.Equal("1", requests["nvidia.com/gpu"]);
        Assert.Equal("1", limits["nvidia.com/gpu"]);
        // The kubelet's grace period runs from the preStop hook on; SIGTERM comes after the hook.
        Assert.True(grace >= preStop + SiloHost.ShutdownTimeout.TotalSeconds, $"terminationGracePeriodSeconds {grace} < preStop {preStop} + shutdown timeout {SiloHost.ShutdownTimeout.TotalSeconds}");
        Assert.True(drain < SiloHost.ShutdownTimeout.TotalSeconds / 2, "the drain delay leaves time to release leases");
        Assert.Equal("orleansflow-silo", Deployment.Text("spec.template.spec.serviceAccountName"));
        Assert.Equal("1", K8s.Single("base", "PodDisruptionBudget").Text("spec.maxUnavailable"));
        Assert.Equal(
            (Dictionary<object, object>)Deployment.Get("spec.selector.matchLabels")!,
            (Dictionary<object, object>)K8s.Single("base", "PodDisruptionBudget").Get("spec.selector.matchLabels")!);
    }

    [Fact]
    public void Dashboard_EveryMetricName_IsAnInstrumentAsMetricsRendersIt()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(K8s.Root, "base", "grafana-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        var used = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);

        Assert.True(expressions.Count >= 10);
        Assert.All(used, name => Assert.True(MetricNames.IsSeries(name), $"the dashboard uses {name}, which /metrics never renders"));
        // Every instrument is on the dashboard.
        Assert.All(MetricNames.Families.Keys, family => Assert.Contains(used, u => u == family || u.StartsWith(family + "_", StringComparison.Ordinal)));
        var generator = K8s.Single("base", "Kustomization").List("configMapGenerator").Cast<Dictionary<object, object>>().Single();
        Assert.Contains("grafana-dashboard.json", (List<object>)generator["files"]);
    }

    /// <remarks>
    /// The shard ledger is now each scheduler grain's state; the job catalog (migration 002) keeps each
    /// unfinished job's outstanding shards for KEDA: <c>SELECT coalesce(sum(outstanding_shards), 0) FROM
    /// orleansflow.jobs WHERE finished_at IS NULL</c>. The schema is the Postgres connection string's search path.
    /// </remarks>
    [Fact]
    public async Task KedaQuery_OnTheRealSchema_CountsTheOutstandingShardsOfASubmittedJob()
    {
        var trigger = K8s.Single("base", "ScaledObject").List("spec.triggers").Cast<Dictionary<object, object>>().Single();
        Assert.Equal("postgresql", trigger["type"]);
        var query = (string)((Dictionary<object, object>)trigger["metadata"])["query"];
        var schema = SchemaOf().Match(query).Groups["schema"].Value;
        Assert.Equal(OrleansPostgres.DefaultSchema, schema);

        var testSchema = postgres.Server.NewSchemaName("keda");
        var connection = OrleansPostgres.ConnectionString(postgres.Server.ConnectionString, testSchema);
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(connection))
        {
            await new PostgresMigrator(dataSource, testSchema).MigrateAsync(default);
        }

        await using var catalog = PostgresJobCatalog.Create(connection);
        var spec = JobSpecs.Fid(samples: 1_000, shardSize: 100);
        var job = JobId.New();
        await catalog.AddAsync(new JobSubmission(job, spec, null), default);
        var onTestSchema = query.Replace($"{schema}.jobs", $"\"{testSchema}\".jobs", StringComparison.Ordinal);
        Assert.NotEqual(query, onTestSchema);

        Assert.Equal(spec.ShardCount, await ScalarAsync(onTestSchema));
        await catalog.ReportAsync(job, spec.ShardCount - 1, finished: false, default);
        Assert.Equal(spec.ShardCount - 1, await ScalarAsync(onTestSchema));
        await catalog.ReportAsync(job, 0, finished: true, default);
        Assert.Equal(0, await ScalarAsync(onTestSchema));
        Assert.Equal("orleansflow-postgres", ((Dictionary<object, object>)trigger["authenticationRef"])["name"]);
        Assert.Equal("orleansflow-silo", K8s.Single("base", "ScaledObject").Text("spec.scaleTargetRef.name"));
    }

    [Fact]
    public void Prod_WorkloadIdentity_ServiceAccountAnnotatedPodsLabelledStoreWithoutKey()
    {
        var account = K8s.Single(Path.Combine("overlays", "prod"), "ServiceAccount", "orleansflow-silo");
        var pod = K8s.Single(Path.Combine("overlays", "prod"), "Deployment", "orleansflow-silo");
        var config = (Dictionary<object, object>)K8s.Single(Path.Combine("overlays", "prod"), "ConfigMap").Get("data")!;

        Assert.True(Guid.TryParse(((Dictionary<object, object>)account.Get("metadata.annotations")!)["azure.workload.identity/client-id"] as string, out _));
        Assert.Equal("true", ((Dictionary<object, object>)pod.Get("spec.template.metadata.labels")!)["azure.workload.identity/use"]);
        var store = new Uri((string)config[Prefix + nameof(SiloOptions.Store)]);
        Assert.Equal("https", store.Scheme);
        Assert.Empty(store.Query);
    }

    [Fact]
    public void Dev_ConnectionStrings_NameTheInClusterPostgresAndAzuriteServices()
    {
        var dev = Path.Combine("overlays", "dev");
        var secret = (Dictionary<object, object>)K8s.Single(dev, "Secret", "orleansflow-silo").Get("stringData")!;
        var postgresService = K8s.Single(dev, "Service", "postgres");
        var azurite = K8s.Single(dev, "Service", "azurite");
        var connection = new NpgsqlConnectionStringBuilder((string)secret[Prefix + nameof(SiloOptions.Postgres)]);
        var blobEndpoint = new Uri(((string)secret[Prefix + nameof(SiloOptions.Store)]).Split(';').Single(p => p.StartsWith("BlobEndpoint=", StringComparison.Ordinal))["BlobEndpoint=".Length..]);

        Assert.Equal("postgres", connection.Host);
        Assert.Equal(postgresService.Text("spec.ports.0.port"), connection.Port.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("azurite", blobEndpoint.Host);
        Assert.Equal(azurite.Text("spec.ports.0.port"), blobEndpoint.Port.ToString(CultureInfo.InvariantCulture));
        Assert.NotNull(((Dictionary<object, object>)K8s.Single(dev, "ConfigMap").Get("data")!)[Prefix + nameof(SiloOptions.StoreContainer)]);
        Assert.Contains("@postgres.", K8s.Single(dev, "Secret", "orleansflow-keda").Text("stringData.connection"), StringComparison.Ordinal);
    }

    /// <summary>Renders each overlay with <c>kubectl kustomize</c> when kubectl is installed (it is optional: nothing else here needs it).</summary>
    [Fact]
    public async Task Overlays_KustomizeBuild_RendersWhenKubectlIsInstalled()
    {
        var kubectl = new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            return;
        }

        var copy = Path.Combine(Path.GetTempPath(), "orleansflow-k8s-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            DirectoryCopy.Copy(K8s.Root, copy);
            foreach (var example in Directory.EnumerateFiles(copy, "*.env.example", SearchOption.AllDirectories))
            {
                File.Copy(example, example[..^".example".Length]);
            }

            foreach (var overlay in new[] { "dev", "prod", "dev-pgbouncer" })
            {
                var start = new ProcessStartInfo(kubectl, ["kustomize", Path.Combine(copy, "overlays", overlay)]) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var process = Process.Start(start)!;
                var output = await process.StandardOutput.ReadToEndAsync();
                var error = await process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                Assert.True(process.ExitCode == 0, $"kubectl kustomize overlays/{overlay}: {error}");
                Assert.Contains("kind: ScaledObject", output, StringComparison.Ordinal);
                Assert.Contains($"namespace: {(overlay.StartsWith("dev", StringComparison.Ordinal) ? "orleansflow-dev" : "orleansflow")}", output, StringComparison.Ordinal);
                Assert.Equal(overlay == "prod", output.Contains("nvidia.com/gpu: \"1\"", StringComparison.Ordinal));
                // The PgBouncer component: transaction pooling, and the silos' connection string pointed at it.
                Assert.Equal(overlay == "dev-pgbouncer", output.Contains("pool_mode = transaction", StringComparison.Ordinal));
                Assert.Equal(overlay == "dev-pgbouncer", output.Contains("OrleansFlow__Postgres: Host=orleansflow-pgbouncer;Port=6432", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static IEnumerable<Manifest> Containers(Manifest document) =>
        new[] { "spec.template.spec.containers", "spec.template.spec.initContainers", "spec.jobTemplate.spec.template.spec.containers" }
            .SelectMany(document.List).OfType<Dictionary<object, object>>().Select(c => new Manifest(document.File, c));

    private static Dictionary<object, object> Port(Manifest container, string name) =>
        container.List("ports").Cast<Dictionary<object, object>>().Single(p => (string)p["name"] == name);

    /// <summary>Environment variables set from the downward API: name → fieldPath.</summary>
    private static Dictionary<string, string> FieldRefs(Manifest container) => container.List("env").Cast<Dictionary<object, object>>()
        .Where(e => Manifest.At(e, "valueFrom.fieldRef.fieldPath") is string)
        .ToDictionary(e => (string)e["name"], e => (string)Manifest.At(e, "valueFrom.fieldRef.fieldPath")!, StringComparer.Ordinal);

    private static Dictionary<string, string> Env(Manifest container) => container.List("env").Cast<Dictionary<object, object>>()
        .ToDictionary(e => (string)e["name"], e => e.GetValueOrDefault("value") as string ?? string.Empty, StringComparer.Ordinal);

    [GeneratedRegex(@"\borleansflow_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"FROM\s+(?<schema>[a-z_][a-z0-9_]*)\.jobs\b")]
    private static partial Regex SchemaOf();
}
