using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>How a silo's grains schedule and run shards.</summary>
public sealed record OrleansFlowOptions
{
    /// <summary>Shards a silo runs at once; a scheduler dispatches this many to each silo, plus <see cref="QueuedShards"/>.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Shards a scheduler keeps waiting in each silo's <see cref="ShardSlots"/> beyond its workers, so that a
    /// worker that finishes a shard starts the next at once instead of idling while the scheduler writes
    /// the report to its ledger (a PostgreSQL round trip) and sends the next dispatch.
    /// </summary>
    public int QueuedShards { get; init; } = 1;

    /// <summary>The sizes of jobs and <c>/v1/generate</c> requests this silo accepts (checked by the jobs grain before anything is written).</summary>
    public JobLimits Limits { get; init; } = new();

    /// <summary>
    /// The longest a dispatched shard waits for one of its silo's <see cref="ShardSlots"/> before it is handed
    /// back unstarted (<see cref="ShardOutcome.Busy"/>, not an attempt). Far below the call timeout
    /// (<see cref="LongCall.Timeout"/>), so no call times out in a queue.
    /// </summary>
    public TimeSpan MaxQueueWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Dispatches of one shard before its job fails (a poison shard).</summary>
    public int MaxAttempts { get; init; } = JobSubmission.DefaultMaxAttempts;

    /// <summary>A sampler grain unused this long is deactivated (Orleans' collection age for its class).</summary>
    public TimeSpan SamplerIdle { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Loaded models a silo keeps at most; least recently used idle sampler grains are evicted beyond it.</summary>
    public long SamplerMemoryBudgetBytes { get; init; } = 8L << 30;

    /// <summary>How often a running scheduler looks again at membership when nothing else happened.</summary>
    public TimeSpan SchedulerTick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Period of each unfinished job's reminder, the backstop that re-activates a scheduler whose silo
    /// died when no membership change reached a survivor (Orleans' minimum is 1 minute).
    /// </summary>
    public TimeSpan ResumeReminderPeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether schedulers register that reminder. Off on a lone silo (embedded mode): no other silo
    /// could resume its jobs, and registering costs a reminder-table round trip per job.
    /// </summary>
    public bool UseResumeReminder { get; init; } = true;

    /// <summary>
    /// Whether a finaliser spreads its precision/recall blocks over the live silos (<see cref="ClusterManifoldBlockRunner"/>).
    /// Off in embedded mode, where its own threads are the whole cluster.
    /// </summary>
    public bool DistributePrecisionRecall { get; init; } = true;

    /// <summary>
    /// Silos of one node class share their compiled-form choices (<see cref="ICompilationChoicesGrain"/>): they are
    /// expected to time alike. Default <see cref="NodeClasses.OfThisMachine"/>; on nodes whose speed differs in what
    /// that does not see (GPU models), name the node pool.
    /// </summary>
    public string NodeClass { get; init; } = NodeClasses.OfThisMachine;

    /// <summary>Test device: a pause before each precision/recall block runs, so that fault tests can kill a silo mid-pass. Zero in production.</summary>
    public TimeSpan ManifoldBlockDelay { get; init; }

    /// <summary>Test device: a shard for which this returns an exception throws it instead of running. Null in production.</summary>
    public Func<ShardWork, Exception?>? InjectedFault { get; init; }

    /// <summary>Test device: a pause before each shard runs, so that fault tests can act mid-job on small jobs. Zero in production.</summary>
    public TimeSpan ShardDelay { get; init; }

    /// <summary>The grain storage provider of scheduler ledgers: PostgreSQL in a cluster, memory in embedded mode.</summary>
    public const string StorageName = Postgres.OrleansPostgres.StorageName;
}
