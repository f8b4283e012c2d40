using OrleansFlow.Jobs;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// The <c>OrleansFlow</c> configuration section (environment: <c>OrleansFlow__Postgres</c>, …).
/// The address comes from <c>ASPNETCORE_URLS</c> as for any ASP.NET Core app.
/// </summary>
public sealed class SiloOptions
{
    public const string Section = "OrleansFlow";

    /// <summary>Orleans' service id of every OrleansFlow cluster (silos and the CLI's Orleans client).</summary>
    public const string ServiceId = "orleansflow";

    public const string DefaultClusterId = "orleansflow";

    /// <summary>
    /// PostgreSQL connection string: Orleans' membership, grain storage and reminders, and the job catalog.
    /// Its <c>Search Path</c> names the schema (default <c>orleansflow</c>; one cluster per schema).
    /// Empty = a single development silo on localhost with everything in memory.
    /// </summary>
    public string? Postgres { get; set; }

    /// <summary>
    /// Connections this silo opens to PostgreSQL at most: the <c>Maximum Pool Size</c> of the one Npgsql
    /// pool that Orleans' membership, reminders and grain storage and the job catalog share (it replaces
    /// a <c>Maximum Pool Size</c> in <see cref="Postgres"/>). Connections open on demand and close after
    /// 5 idle minutes; a caller that finds the pool exhausted waits for a connection (up to the string's
    /// <c>Timeout</c>). Silos × this must fit PostgreSQL's <c>max_connections</c> or a PgBouncer (docs/cluster.md).
    /// </summary>
    public int PostgresPoolSize { get; set; } = OrleansFlow.Cluster.Postgres.OrleansPostgres.DefaultPoolSize;

    /// <summary>Bearer token every <c>/v1</c> call must present.</summary>
    public string Token { get; set; } = string.Empty;

    /// <summary>
    /// Blob store (see <c>BlobStores.Create</c>): a local directory shared by the silos of one machine,
    /// an Azure container URI (with a SAS query, or without for Azure AD / workload identity), or an
    /// Azure Storage connection string (then <see cref="StoreContainer"/> names the container).
    /// </summary>
    public string Store { get; set; } = "store";

    /// <summary>The blob container when <see cref="Store"/> is a connection string.</summary>
    public string? StoreContainer { get; set; }

    /// <summary>
    /// The model registry (docs/models.md), in the same forms as <see cref="Store"/>; unset = the blob
    /// store itself. Requests name models, features and references in it; the API takes no paths.
    /// </summary>
    public string? Models { get; set; }

    /// <summary>The registry's container when <see cref="Models"/> is a connection string (default: <see cref="StoreContainer"/>).</summary>
    public string? ModelsContainer { get; set; }

    /// <summary>
    /// Public keys (PEM files, comma-separated) registry entries must be signed with (docs/models.md, "Signed
    /// entries"). Set: an entry without a valid signature by one of them is refused and nothing of it loads.
    /// Empty: entries are checked against their manifest's SHA-256 only.
    /// </summary>
    public string? RegistryKeys { get; set; }

    /// <summary>Local directory the registry's entries are downloaded into, in a folder per <see cref="NodeId"/>; it belongs to one registry.</summary>
    public string ModelCache { get; set; } = "model-cache";

    /// <summary>Bytes of downloaded entries kept at most (least recently used deleted beyond it).</summary>
    public long ModelCacheBytes { get; set; } = 20L << 30;

    /// <summary>This silo's name in Orleans' membership table and on the dashboard (default: host name and process id).</summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// The IP address other silos and clients reach this silo at (Orleans' advertised address); default:
    /// loopback without <see cref="Postgres"/>, else this host's first non-loopback IPv4 address.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Silo-to-silo port (Orleans' <c>SiloPort</c>).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (the CLI's cluster mode) connect to (Orleans' <c>GatewayPort</c>).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// This silo's certificate (PEM; EKU serverAuth and clientAuth) for mutual TLS on the silo and gateway
    /// ports (<c>ClusterTls</c>). Set: every Orleans connection needs a certificate of <see cref="TlsCa"/>
    /// (silos a silo certificate, clients one with clientAuth). Unset: the ports take anyone (development only).
    /// </summary>
    public string? TlsCertificate { get; set; }

    /// <summary>The private key of <see cref="TlsCertificate"/> (PEM); unset when the certificate file holds it.</summary>
    public string? TlsKey { get; set; }

    /// <summary>The cluster's CA certificate (PEM): the only root a peer's certificate may chain to. Required with <see cref="TlsCertificate"/>.</summary>
    public string? TlsCa { get; set; }

    /// <summary>Orleans' cluster id: silos with the same id (and database) form one cluster.</summary>
    public string ClusterId { get; set; } = DefaultClusterId;

    /// <summary>Shards run at once.</summary>
    public int Workers { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Seconds a dispatched shard may wait for one of the silo's slots (shared by every job) before it is
    /// handed back unstarted, not counted as an attempt; far below the 2-hour call timeout.
    /// </summary>
    public double MaxQueueWaitSeconds { get; set; } = 60;

    /// <summary>
    /// Orleans' membership probe timeout and period, seconds (1-30; default 1: a killed silo is Dead within
    /// about 3 s, <c>MembershipTuning</c>). Raise it only to run many silo processes on few cores, as
    /// <c>bench/simulated-cluster.sh</c> does: death detection slows in proportion.
    /// </summary>
    public double MembershipProbeTimeoutSeconds { get; set; } = OrleansFlow.Cluster.Postgres.MembershipTuning.ProbeTimeout.TotalSeconds;

    /// <summary>Dispatches of a shard before its job fails.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Request bodies larger than this get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Sizes of jobs and <c>/v1/generate</c> requests (<c>OrleansFlow:Limits:MaxSamples</c>, …): samples,
    /// shards, sampler steps and samples × NFE; over-limit requests get a 400 naming the field and the limit.
    /// </summary>
    public JobLimits Limits { get; set; } = new();

    /// <summary>
    /// <c>/v1/generate</c> requests a silo admits at once (waiting for a batch or running); more get 429
    /// with <c>Retry-After</c>.
    /// </summary>
    public int MaxConcurrentGenerates { get; set; } = 16;

    /// <summary>Dedicated threads that run <c>/v1/generate</c> sampling (never the thread pool Orleans and the HTTP server use).</summary>
    public int GenerateThreads { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>How long a generate request waits at most for concurrent ones to share its model calls.</summary>
    public double GenerateBatchWaitMilliseconds { get; set; } = 2;

    /// <summary>Samples one shared generate run takes at most (1: requests never share).</summary>
    public int GenerateMaxBatchSamples { get; set; } = 256;

    public double SamplerIdleMinutes { get; set; } = 10;

    public long SamplerMemoryBudgetBytes { get; set; } = 8L << 30;

    /// <summary>
    /// After SIGTERM handed back this silo's shards and it left the cluster, keep answering HTTP (with
    /// <c>/readyz</c> 503) this long, so endpoints and load balancers stop routing here before the
    /// server stops accepting connections. At most half of the silo's shutdown timeout.
    /// </summary>
    public double DrainDelaySeconds { get; set; }

    /// <summary>
    /// Test device: <c>"SEED/INDEX"</c> makes shard INDEX of every job with seed SEED throw on every
    /// attempt (a poison shard). Never set in production.
    /// </summary>
    public string? PoisonShard { get; set; }

    /// <summary>
    /// Test and bench device: also load the <c>sleep-MS</c> models (shards that take a fixed time without
    /// using a core; <c>SleepFlowModel</c>), to simulate more silos than this machine has cores. Never set in production.
    /// </summary>
    public bool TestModels { get; set; }

    /// <summary>
    /// Cores this silo's threads may run on, as a Linux CPU list (<c>0</c>, <c>0,2</c>, <c>2-3</c>): the silo
    /// pins every thread of its process at start (sched_setaffinity) and new threads inherit it. Empty = no
    /// pinning. Set <see cref="Workers"/> to match; <c>run-local-cluster --cpus</c> starts silos under
    /// <c>taskset</c> instead, which also sizes the runtime (its processor count) to the pinned cores.
    /// </summary>
    public string? Cpus { get; set; }

    /// <summary>
    /// Silos of one node class share their compiled-form choices (docs/libtorch.md, "Agreed across the cluster").
    /// Empty = the CPU model and the cores this silo may use; name the node pool where nodes differ in what
    /// that does not see (GPU models).
    /// </summary>
    public string? NodeClass { get; set; }

    /// <summary>Test device: a pause before each shard, so fault tests can act mid-job on small jobs. Never set in production.</summary>
    public double ShardDelayMilliseconds { get; set; }
}
