using Orleans.Configuration;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// Orleans membership timings for a cluster on this project's hardware: a <c>kill -9</c>'d silo is
/// declared Dead within 5 s, while silos whose every core is busy with shards (and a machine loaded by
/// other work besides) raise no suspicion. A killed process refuses connections, so its probes fail at
/// once and detection takes about <see cref="NumMissedProbesLimit"/> probe periods plus the second
/// vote; a live but busy silo answers late, and three consecutive late answers (the last through
/// another silo, with twice the timeout) are needed before anyone suspects it. The silo host also
/// keeps thread-pool threads free beyond its shards (SiloHost), so a probe never waits for the pool to
/// grow behind CPU-bound shards. Measured on real silo processes (docs/cluster.md, "Membership tuning").
/// </summary>
public static class MembershipTuning
{
    /// <summary>
    /// How long a probe (ping) may take, and so the probe period. A killed process refuses connections
    /// at once, so probes fail well within 1 s; a live silo answers in milliseconds even under load.
    /// Orleans widens the timeout adaptively (up to 4x) when the prober itself is degraded.
    /// </summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Three missed probes in a row make a silo suspect another: on a loaded machine two late answers
    /// in a row happen (issue 16); the third probe goes through another silo (Orleans' indirect probe)
    /// with twice the timeout. A killed silo is still suspected about 3 s after its death.
    /// </summary>
    public const int NumMissedProbesLimit = 3;

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
    public static void Apply(ClusterMembershipOptions options) => Apply(options, ProbeTimeout);

    /// <summary>
    /// The values above with a longer probe timeout (and period), for many silo processes on few cores
    /// (bench/simulated-cluster.sh: 32 silos on 2 cores): the vote expiry and the table refresh keep their
    /// ratio to the probe period, so two votes still meet; detection of a killed silo slows in proportion
    /// (about 3 probe periods). Production keeps <see cref="ProbeTimeout"/>.
    /// </summary>
    public static void Apply(ClusterMembershipOptions options, TimeSpan probeTimeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (probeTimeout < ProbeTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(probeTimeout), probeTimeout, $"at least {ProbeTimeout.TotalSeconds} s");
        }

        var scale = probeTimeout / ProbeTimeout;
        options.ProbeTimeout = probeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
        options.TableRefreshTimeout = TableRefreshTimeout * scale;
        options.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout * scale;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }
}
