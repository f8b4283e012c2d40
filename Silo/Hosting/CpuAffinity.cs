using System.Globalization;
using System.Runtime.InteropServices;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Pins the silo's process to given cores (<see cref="SiloOptions.Cpus"/>), for measurements that need
/// one silo per core on a shared machine. Linux only: every thread already running is pinned through
/// <c>sched_setaffinity</c> (thread ids from <c>/proc/self/task</c>); threads started later inherit the
/// mask of the thread that starts them.
/// </summary>
public static partial class CpuAffinity
{
    /// <summary>Bits in the mask passed to the kernel (cpu_set_t's 1,024).</summary>
    private const int MaskBits = 1024;

    /// <summary>Parses a Linux CPU list (<c>0</c>, <c>0,2</c>, <c>2-3,6</c>) into ascending core numbers.</summary>
    /// <exception cref="SpecException">Naming <c>OrleansFlow:Cpus</c> when the list is malformed.</exception>
    public static IReadOnlyList<int> Parse(string list)
    {
        var cores = new SortedSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-');
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c < MaskBits))
            {
                throw new SpecException("OrleansFlow:Cpus", $"'{list}' is not a CPU list such as 0, 0,2 or 2-3 (cores 0-{MaskBits - 1})");
            }

            var first = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var last = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (last < first)
            {
                throw new SpecException("OrleansFlow:Cpus", $"'{part}' is an empty range");
            }

            for (var core = first; core <= last; core++)
            {
                cores.Add(core);
            }
        }

        return [.. cores];
    }

    /// <summary>Pins every thread of this process to <paramref name="cores"/>.</summary>
    /// <exception cref="SpecException">Not Linux, or the kernel refused the mask (e.g. a core this machine lacks).</exception>
    public static void PinProcess(IReadOnlyList<int> cores)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new SpecException("OrleansFlow:Cpus", "pinning needs Linux (sched_setaffinity)");
        }

        var mask = new ulong[MaskBits / 64];
        foreach (var core in cores)
        {
            mask[core / 64] |= 1UL << (core % 64);
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            var thread = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
            if (SchedSetAffinity(thread, (nuint)(mask.Length * sizeof(ulong)), mask) != 0)
            {
                var error = Marshal.GetLastPInvokeError();
                // A thread that ended since the listing (ESRCH = 3) needs no mask.
                if (error != 3)
                {
                    throw new SpecException("OrleansFlow:Cpus", $"sched_setaffinity refused cores {string.Join(',', cores)} (errno {error}): are they online here?");
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong[] mask);
}
