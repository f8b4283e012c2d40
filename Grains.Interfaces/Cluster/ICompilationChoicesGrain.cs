using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// The compiled forms chosen for one model on one kind of node (sample-aware compilation, docs/libtorch.md),
/// agreed across the cluster: one silo times a batch size and offers its choice, and every silo of that
/// kind runs the form agreed on instead of timing its own. Silos that time under different momentary loads
/// would otherwise run different code at different speeds (bench/scale-out.sh measured 1.7 s against
/// 0.93 s per shard on two identical pinned silos), and every silo but the first skips the timing.
/// Silos that warm the model at the same moment (a submission prepares every silo that will take shards)
/// do not all time it: the first claims the batch size, the others wait for its offer.
/// Keyed by <see cref="CompilationChoicesKey"/>. Kept in memory: after the grain is collected, the next
/// silo to warm the model times again.
/// </summary>
[Alias("OrleansFlow.ICompilationChoicesGrain")]
public interface ICompilationChoicesGrain : IGrainWithStringKey
{
    /// <summary>
    /// The choices agreed for <paramref name="batches"/>, and those of the batch sizes no silo has chosen for
    /// yet that the caller is to time (its claim, recorded as <paramref name="silo"/>'s: the caller's silo). A batch size another silo is timing is waited for, until that silo's
    /// offer, until membership declares that silo dead, or until its claim ends (<see cref="CompilationClaim.Lease"/>,
    /// for a silo that hangs): then the caller claims it.
    /// </summary>
    [Alias("Join")]
    [ResponseTimeout(LongCall.Timeout)]
    Task<CompilationAgreement> JoinAsync(IReadOnlyList<int> batches, SiloAddress silo, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends the caller's claim on <paramref name="claimed"/> and offers its timed choices: those whose (role,
    /// batch) has none yet are agreed (an empty offer gives a failed timing's claim back). Returns every agreed
    /// choice for the offered (role, batch) pairs: the offer's own, or an earlier silo's.
    /// </summary>
    [Alias("Offer")]
    Task<IReadOnlyList<CompilationChoice>> OfferAsync(IReadOnlyList<int> claimed, IReadOnlyList<CompilationChoice> timed, CancellationToken cancellationToken = default);
}

/// <summary>What a silo joining the agreement adopts (<paramref name="Agreed"/>) and what it is to time and offer (<paramref name="Claimed"/>).</summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.CompilationAgreement")]
public sealed record CompilationAgreement(
    [property: Id(0)] IReadOnlyList<CompilationChoice> Agreed,
    [property: Id(1)] IReadOnlyList<int> Claimed);

public static class CompilationClaim
{
    /// <summary>
    /// How long a claim on a batch size holds without an offer before another silo may time it instead (its
    /// claimer hung; one that died is passed over as soon as membership declares it dead). Timing three forms of a
    /// model takes seconds on CPU; long enough for GPU compiles.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
}

/// <summary>
/// The key of an <see cref="ICompilationChoicesGrain"/>: what a choice is valid for. The model's content (not
/// its name: a new version times again), the device and compilation policy, and the node class: silos of one
/// class are expected to time alike (by default the CPU model and the cores the silo may use; on mixed GPU
/// nodes set <c>OrleansFlow:NodeClass</c> per node pool).
/// </summary>
public static class CompilationChoicesKey
{
    public static string For(string modelScope, string nodeClass) => $"{modelScope}|{nodeClass}";
}
