using System.Runtime.InteropServices;

namespace OrleansFlow.Torch;

/// <summary>
/// Keeps libtorch's tensor memory in glibc's heap instead of fresh <c>mmap</c>s, in every process that
/// samples (<see cref="TorchLibrary"/> applies it once when it loads the shim), unless the user tuned
/// malloc through the environment.
/// <para>
/// Why: by default glibc serves blocks above a threshold (128 KB, raised dynamically up to 32 MB as
/// such blocks are freed) with <c>mmap</c>, returns them with <c>munmap</c>, and trims or
/// <c>madvise</c>s away free memory at the top of its heaps. A sampler allocates and frees the same
/// few-MB activations at every model call, so when the dynamic threshold does not settle, each call
/// maps fresh pages and the kernel zero-fills them again. Measured on a 1-silo local cluster pinned
/// to one core, the same digits-rf FID job (heun:steps=4, 20,000 samples, shards of 500) ran in
/// 16.6-85 s from run to run; the slow runs spent 30-45 % of their CPU in the kernel on 2.7 million
/// minor page faults per job, the fast ones about 12,000 faults and no system time. With
/// <c>MALLOC_TRIM_THRESHOLD_</c> alone (which freezes the threshold at 128 KB) every job took
/// 214-272 s with 16 million faults; with both thresholds at 1 GiB, 17-22 s and 13,000-66,000
/// faults (docs/benchmarks.md, "Scale-out on pinned cores").
/// </para>
/// <para>
/// The thresholds do not reach glibc's per-thread arenas: a worker thread's allocations live in heaps
/// of at most 64 MB each, and a heap left empty by a free is unmapped whatever the thresholds. The
/// Fashion-MNIST U-Net's activations at batch 250 are about 25 MB each, so every model call on a worker
/// thread mapped and faulted in hundreds of MB afresh: a 500-sample Heun 8 FID job took 84 s (7.4 million
/// minor faults, 45 s of it in the kernel). With one arena (<c>MALLOC_ARENA_MAX=1</c>: every thread
/// allocates from the main heap, where the thresholds hold) the same job took 22-24 s with 0.4-0.5
/// million faults. An arena is bound to a thread at its first allocation, before libtorch loads, so
/// the limit must be in the environment when the process starts: <c>./orleansflow</c>,
/// <c>./run-local-cluster</c>, <c>./run-tests</c> and the image set it unless the user did; this class
/// also sets it for threads started later (<c>mallopt(M_ARENA_MAX, 1)</c>), which alone does not help
/// the threads that already run (73 s, 5.8 million faults).
/// </para>
/// <para>
/// The price: memory a process freed stays in its heap for reuse (up to <see cref="Threshold"/> per
/// arena above the live data) instead of going back to the kernel, so a silo's resident size stays
/// near its peak working set. Setting <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c> or
/// <c>GLIBC_TUNABLES</c> leaves malloc as the user set it. Without glibc (no <c>mallopt</c>) nothing is done.
/// </para>
/// </summary>
public static class GlibcHeap
{
    /// <summary>The mmap and trim thresholds set: larger than any tensor a sampler allocates.</summary>
    public const int Threshold = 1 << 30;

    /// <summary>The variables that say the user tuned malloc.</summary>
    public static readonly string[] Variables = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"];

    // glibc's <malloc.h> parameter numbers.
    private const int TrimThresholdParameter = -1;
    private const int MmapThresholdParameter = -3;
    private const int ArenaMaxParameter = -8;

    private static readonly Lazy<bool> Tuned = new(Tune, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether this process's malloc now keeps large blocks in its heap and creates no further arenas (false: left as the environment set it, or not glibc). Tunes once per process.</summary>
    public static bool EnsureTuned() => Tuned.Value;

    private static bool Tune()
    {
        if (!OperatingSystem.IsLinux() || Variables.Any(v => Environment.GetEnvironmentVariable(v) is { Length: > 0 }))
        {
            return false;
        }

        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt))
        {
            return false;
        }

        unsafe
        {
            var set = (delegate* unmanaged<int, int, int>)mallopt;
            // mallopt returns 1 on success; the trim threshold first, so the heap never trims between the two calls' effects.
            return set(TrimThresholdParameter, Threshold) == 1 && set(MmapThresholdParameter, Threshold) == 1 && set(ArenaMaxParameter, 1) == 1;
        }
    }
}
