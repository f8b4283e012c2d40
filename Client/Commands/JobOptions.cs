using System.CommandLine;
using OrleansFlow.Client.Cluster;
using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Commands;

/// <summary>The options every job command shares, and how they become a <see cref="JobSpec"/>.</summary>
internal sealed class JobOptions
{
    private readonly JobKind _kind;

    public JobOptions(JobKind kind, int defaultSamples)
    {
        _kind = kind;
        Samples = new("--samples") { Description = "Number of samples", DefaultValueFactory = _ => defaultSamples };
        Out = new("--out") { Description = "Output directory", DefaultValueFactory = _ => Path.Combine("out", kind.ToString().ToLowerInvariant()) };
    }

    public Option<string> Model { get; } = new("--model")
    {
        Description = $"Model: {ModelCatalog.Allowed}, or a name in the model registry (--registry): e.g. digits-rf, digits-rf@2; " +
            "'orleansflow models list' shows the names ('./orleansflow models list' first pushes the shipped digits models into ./store)",
        DefaultValueFactory = _ => GmmDemo.Name,
    };

    public Option<string> Sampler { get; } = new("--sampler") { Description = $"Sampler: {SamplerSpec.Allowed}", DefaultValueFactory = _ => "heun:steps=8" };

    public Option<int> Samples { get; }

    public Option<long> Seed { get; } = new("--seed") { Description = "Job seed: sample i's noise and label depend only on (seed, i)", DefaultValueFactory = _ => 0 };

    public Option<int> ShardSize { get; } = new("--shard-size") { Description = "Samples per shard (the unit of resume and scheduling)", DefaultValueFactory = _ => 1000 };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Samples per model call", DefaultValueFactory = _ => 250 };

    public Option<double> Guidance { get; } = new("--guidance") { Description = "Classifier-free guidance scale s (1 = conditional velocity only)", DefaultValueFactory = _ => 1 };

    public Option<int?> Class { get; } = new("--class") { Description = "Class label of every sample (default: drawn per sample from the seed)" };

    public Option<bool> Unconditional { get; } = new("--unconditional") { Description = "Sample the null class of a class-conditional model" };

    public Option<string> Out { get; }

    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue an interrupted run in --out, skipping finished shards" };

    public Option<bool> Force { get; } = new("--force") { Description = "Replace an existing --out directory" };

    public Option<int> Workers { get; } = new("--workers") { Description = "Shards run at once", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };

    public Option<bool> Quiet { get; } = new("--quiet") { Description = "No progress bar" };

    public Option<string?> Registry { get; } = new("--registry")
    {
        Description = "Embedded: the model registry where --model/--features/--reference names that are not local paths resolve (default: OrleansFlow__Models, else OrleansFlow__Store, else ./store if it exists)",
        DefaultValueFactory = _ => OrleansFlow.Cluster.LocalModelLoader.RegistryFromEnvironment(),
    };

    public Option<string?> Cluster { get; } = new("--cluster") { Description = "Submit to a cluster through its HTTP API at this URL instead of running embedded (e.g. http://silo:8080)" };

    public Option<string?> Token { get; } = new("--token") { Description = "Bearer token of the cluster (default: $ORLEANSFLOW_TOKEN)" };

    public Option<string?> OrleansPostgres { get; } = new("--orleans-postgres")
    {
        Description = "Submit as an Orleans client, gateways from the cluster's PostgreSQL membership table (the silos' OrleansFlow:Postgres connection string)",
    };

    public Option<string?> Gateways { get; } = new("--gateways") { Description = "Submit as an Orleans client to these gateways: host:port[,host:port...] (the silos' GatewayPort)" };

    public Option<string?> ClusterId { get; } = new("--cluster-id") { Description = $"Orleans cluster id of the silos (OrleansFlow:ClusterId; default {Silo.Hosting.SiloOptions.DefaultClusterId})" };

    public Option<double?> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = $"Seconds to wait for an Orleans gateway (default {ClusterTarget.DefaultConnectTimeoutSeconds})",
    };

    public Option<string?> TlsCert { get; } = new("--tls-cert")
    {
        Description = "Orleans client: this client's certificate (PEM, EKU clientAuth) for clusters with mutual TLS (default: $ORLEANSFLOW_TLS_CERT)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ORLEANSFLOW_TLS_CERT"),
    };

    public Option<string?> TlsKey { get; } = new("--tls-key")
    {
        Description = "Orleans client: the certificate's private key (PEM; default: in --tls-cert, or $ORLEANSFLOW_TLS_KEY)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ORLEANSFLOW_TLS_KEY"),
    };

    public Option<string?> TlsCa { get; } = new("--tls-ca")
    {
        Description = "Orleans client: the cluster's CA certificate (PEM) the silos' certificates must chain to (default: $ORLEANSFLOW_TLS_CA)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ORLEANSFLOW_TLS_CA"),
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Sampler, Samples, Seed, ShardSize, BatchSize, Guidance, Class, Unconditional, Out, Resume, Force, Workers, Quiet, Registry, Cluster, Token, OrleansPostgres, Gateways, ClusterId, ConnectTimeout, TlsCert, TlsKey, TlsCa })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The cluster options as given, for <see cref="ClusterTarget.From"/>.</summary>
    public ClusterArguments ToClusterArguments(ParseResult result) => new(
        result.GetValue(Cluster), result.GetValue(Token), result.GetValue(OrleansPostgres), result.GetValue(Gateways), result.GetValue(ClusterId), result.GetValue(ConnectTimeout),
        result.GetValue(TlsCert), result.GetValue(TlsKey), result.GetValue(TlsCa));

    /// <summary>The spec these options describe; <paramref name="customize"/> adds kind-specific fields.</summary>
    public JobSpec ToSpec(ParseResult result, Func<JobSpec, JobSpec>? customize = null)
    {
        var spec = new JobSpec
        {
            Kind = _kind,
            Model = result.GetValue(Model)!,
            Sampler = SamplerSpec.Parse(result.GetValue(Sampler)!),
            Samples = result.GetValue(Samples),
            Seed = result.GetValue(Seed),
            ShardSize = result.GetValue(ShardSize),
            BatchSize = result.GetValue(BatchSize),
            Guidance = result.GetValue(Guidance),
            ClassLabel = result.GetValue(Class),
            Unconditional = result.GetValue(Unconditional),
        };
        return (customize?.Invoke(spec) ?? spec).Validate();
    }
}
