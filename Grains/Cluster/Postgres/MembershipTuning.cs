using Orleans.Configuration;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// Orleans membership timings for a cluster on this project's hardware: a <c>kill -9</c>'d silo is
/// declared Dead in about 2 s, while an idle 3-silo cluster raises no suspicion. Measured with real
/// silo processes on PostgreSQL on the 2-core machine at load average ~35 (SiloProcessMembershipTests
/// prints both): SIGKILL to Dead 1.4-2.1 s with 3 silos; 2.1 s against 11.2-12.4 s for Orleans'
/// defaults when a tuned and a default cluster (6 processes) were killed side by side; no suspicion in
/// 30 s idle (../shared/STACK.md, quieter machine: 0.8-1.0 s, none in 2 min). Until a silo is
/// declared dead, calls to its grains hang.
/// </summary>
public static class MembershipTuning
{
    /// <summary>
    /// How long a probe (ping) may take, and so the probe period. A killed process refuses connections
    /// at once, so probes fail well within 1 s; a live silo answers in milliseconds even under load.
    /// Orleans widens the timeout adaptively (up to 4x) when the prober itself is degraded.
    /// </summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Two missed probes in a row make a silo suspect one: one lost probe on a busy machine is not enough.</summary>
    public const int NumMissedProbesLimit = 2;

    /// <summary>Two silos must agree before a silo is declared Dead (with 3 silos: both survivors), so one confused prober cannot kill a healthy silo.</summary>
    public const int NumVotesForDeathDeclaration = 2;

    /// <summary>How often each silo re-reads the membership table: the second voter sees the first vote within this time.</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Votes older than this are ignored. Long enough for the second vote to meet the first
    /// (a few probe periods plus a table refresh), short enough that a stale vote from an old hiccup
    /// does not combine with a new one into a false death.
    /// </summary>
    public static readonly TimeSpan DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The IAmAlive heartbeat written to the table. Only a diagnostic and the input of defunct-row
    /// clean-up (liveness is decided by probes), so every 5 s costs little: one UPDATE per silo.
    /// </summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Sets the values above on <paramref name="options"/>; use as <c>Configure&lt;ClusterMembershipOptions&gt;(MembershipTuning.Apply)</c>.</summary>
    public static void Apply(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }
}
