using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// The compiled forms chosen for one model on one kind of node (sample-aware compilation, docs/libtorch.md),
/// agreed across the cluster: the first silo to time a batch size offers its choice, and every silo of that
/// kind runs the form agreed on instead of timing its own. Silos that time under different momentary loads
/// would otherwise run different code at different speeds (bench/scale-out.sh measured 1.7 s against
/// 0.93 s per shard on two identical pinned silos), and every silo but the first skips the timing.
/// Keyed by <see cref="CompilationChoicesKey"/>. Kept in memory: after the grain is collected, the next
/// silo to warm the model times again.
/// </summary>
[Alias("OrleansFlow.ICompilationChoicesGrain")]
public interface ICompilationChoicesGrain : IGrainWithStringKey
{
    /// <summary>The choices agreed so far, one per (role, batch).</summary>
    [Alias("Get")]
    Task<IReadOnlyList<CompilationChoice>> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Offers a silo's own timed choices; those whose (role, batch) has none yet are agreed. Returns every
    /// agreed choice for the offered (role, batch) pairs: the offer's own, or an earlier silo's.
    /// </summary>
    [Alias("Offer")]
    Task<IReadOnlyList<CompilationChoice>> OfferAsync(IReadOnlyList<CompilationChoice> timed, CancellationToken cancellationToken = default);
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
