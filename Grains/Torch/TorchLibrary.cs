using System.Runtime.InteropServices;

namespace OrleansFlow.Torch;

/// <summary>
/// Finds and loads the shim (<c>liborleansflow_torch.so</c>) and through it libtorch, once per process.
/// Looked for in <c>$ORLEANSFLOW_NATIVE_DIR</c>, next to this assembly, then in <c>native/build</c> of
/// the nearest enclosing source tree (so tests and <c>./orleansflow</c> find a repository build).
/// </summary>
public static class TorchLibrary
{
    public const string DirectoryVariable = "ORLEANSFLOW_NATIVE_DIR";
    public const string BuildCommand = "cmake -S native -B native/build -DCMAKE_BUILD_TYPE=Release && cmake --build native/build -j";
    private const string FileName = "liborleansflow_torch.so";

    private static readonly Lazy<IntPtr> Handle = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The libtorch version the shim was built against; loads the library.</summary>
    public static string TorchVersion
    {
        get
        {
            EnsureLoaded();
            return Marshal.PtrToStringUTF8(NativeMethods.TorchVersion()) ?? "unknown";
        }
    }

    /// <summary>Whether the shim and libtorch can be loaded here, without throwing.</summary>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            EnsureLoaded();
            reason = string.Empty;
            return true;
        }
        catch (TorchException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Loads the shim; throws <see cref="TorchException"/> saying what is missing and how to fix it.</summary>
    public static void EnsureLoaded()
    {
        try
        {
            _ = Handle.Value;
        }
        catch (TorchException)
        {
            throw;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            throw new TorchException($"cannot load the libtorch shim: {e.Message}", e);
        }
    }

    /// <summary>Sets libtorch's intra-op thread count for the process (0 keeps libtorch's default).</summary>
    public static void SetThreads(int threads)
    {
        EnsureLoaded();
        NativeMethods.ThrowIfFailed(NativeMethods.SetNumThreads(threads));
    }

    private static IntPtr Load()
    {
        var candidates = Candidates().ToList();
        var path = candidates.FirstOrDefault(File.Exists) ?? throw new TorchException(
            // The places are named, not their absolute paths: a silo's API passes this message to clients.
            $"the OrleansFlow libtorch shim ({FileName}) was not found (looked in ${DirectoryVariable}, next to the application and in the source tree's native/build); " +
            $"build it from the repository root with: {BuildCommand} (needs apt-get install libtorch-dev cmake g++), or set {DirectoryVariable}");
        IntPtr handle;
        try
        {
            handle = NativeLibrary.Load(path);
            // libtorch's GEMMs run on OpenBLAS here: one thread, so a shard's bytes do not depend on the machine.
            Statistics.BlasThreads.EnsurePinned();
            // Tensors in the heap, not a fresh mmap (and page faults) per model call.
            GlibcHeap.EnsureTuned();
        }
        catch (DllNotFoundException e)
        {
            // dlopen's message (the missing dependency, e.g. libtorch_cpu.so.1.13, and the shim's path) stays
            // in the inner exception, for the logs: a silo's API passes this message to clients.
            throw new TorchException($"cannot load {FileName}: is libtorch installed (apt-get install libtorch-dev) and the shim built against it (native/build.sh)?", e);
        }

        NativeLibrary.SetDllImportResolver(typeof(TorchLibrary).Assembly, (name, _, _) => name == NativeMethods.Library ? handle : IntPtr.Zero);
        return handle;
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } directory)
        {
            yield return Path.Combine(directory, FileName);
        }

        var here = Path.GetDirectoryName(typeof(TorchLibrary).Assembly.Location) is { Length: > 0 } location ? location : AppContext.BaseDirectory;
        yield return Path.Combine(here, FileName);
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "native", "CMakeLists.txt")))
            {
                yield return Path.Combine(dir.FullName, "native", "build", FileName);
                yield break;
            }
        }
    }
}
