using System.Runtime.InteropServices;

namespace OrleansFlow.Statistics;

/// <summary>
/// Pins OpenBLAS to one thread in every process that samples or measures, unless
/// <c>OPENBLAS_NUM_THREADS</c> says otherwise.
/// <para>
/// Why: OpenBLAS (Debian's <c>libopenblas0-pthread</c>; libtorch's <c>libblas.so.3</c> forwards to the same
/// library) splits a GEMM by its thread count, and the split changes the rounding. Its default thread count
/// is the CPUs the process may use, so a shard's bytes would depend on the machine that ran it (a pod's CPU
/// limit, <c>taskset</c>, the node's size): measured, a digits-rf FID job (heun:steps=4, 10,000 samples)
/// gave FID 0.0803476268740429 with one OpenBLAS thread and 0.08034747060748007 with two, its statistics
/// differing in the 7th digit, and a container run of the same spec matched neither. With one thread a
/// job's bytes are the same on every silo. Parallelism comes from shards (a worker per core) and
/// libtorch's own intra-op pool, not from BLAS.
/// </para>
/// <para>
/// A user who sets <c>OPENBLAS_NUM_THREADS</c> chooses the trade (faster single large GEMMs, bytes that
/// depend on that setting) and is left alone. Without OpenBLAS (another BLAS, or none) there is nothing to pin.
/// </para>
/// </summary>
public static class BlasThreads
{
    public const string Variable = "OPENBLAS_NUM_THREADS";

    private static readonly Lazy<int?> Pinned = new(Pin, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The thread count set on OpenBLAS (null: OpenBLAS absent or the user's variable kept); pins once per process.</summary>
    public static int? EnsurePinned() => Pinned.Value;

    private static int? Pin()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 })
        {
            return null;
        }

        if (!NativeLibrary.TryLoad(OpenBlasMethods.Library, out var library)
            || !NativeLibrary.TryGetExport(library, "openblas_set_num_threads", out var setThreads))
        {
            return null;
        }

        unsafe
        {
            ((delegate* unmanaged<int, void>)setThreads)(1);
        }

        return 1;
    }
}
