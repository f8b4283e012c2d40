using System.Runtime.InteropServices;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// Once libtorch is loaded, large blocks freed by the process are reused from glibc's heap instead of
/// mapped afresh (<see cref="GlibcHeap"/>): a 40 MB block allocated, written and freed eight times faults
/// its pages in about once. Without the tuning glibc maps every block above 32 MB (its dynamic threshold's
/// ceiling) with mmap and unmaps it on free, so each round faults all 10,240 pages again: 81,920 in all.
/// A block allocated right after the first big one stays live, as a sampler's other data does: a thread's
/// heap (64 MB at most, glibc's non-main arenas) holding nothing but the freed block is given back whole,
/// whatever the thresholds.
/// </summary>
public class GlibcHeapTests
{
    private const int BlockBytes = 40 << 20;
    private const int Rounds = 8;
    private const int PinBytes = 20 << 20;
    private const long ThreadHeapBytes = 64 << 20;

    [Fact]
    public unsafe void AfterTorchLoads_LargeBlocksFreedAndAllocatedAgain_FaultTheirPagesInOnce()
    {
        TorchLibrary.EnsureLoaded();
        Assert.True(GlibcHeap.EnsureTuned(), $"malloc was not tuned: glibc's mallopt refused, or one of {string.Join(", ", GlibcHeap.Variables)} is set");

        var pages = BlockBytes / Environment.SystemPageSize;
        var before = MinorFaults();
        var held = new List<nint>();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                Touch(pages, round == 0 ? held : null);
            }
        }
        finally
        {
            held.ForEach(block => NativeMemory.Free((void*)block));
        }

        var faults = MinorFaults() - before;
        // One round's pages, plus slack for the rest of the process (the test host's other threads).
        Assert.True(faults < 3L * pages, $"{faults:N0} minor faults for {Rounds} rounds of a {BlockBytes >> 20} MB block ({pages:N0} pages each): the block was mapped afresh each round");
    }

    /// <summary>Allocates, writes and frees the block; with <paramref name="pin"/>, first keeps a block live right after it.</summary>
    private static unsafe void Touch(int pages, List<nint>? pin)
    {
        var block = (byte*)NativeMemory.Alloc(BlockBytes);
        // Free chunks elsewhere in the arena are taken first: hold them until a pin lands after the block, in its heap.
        for (var attempt = 0; pin is not null && attempt < 32; attempt++)
        {
            var candidate = (byte*)NativeMemory.Alloc(PinBytes);
            pin.Add((nint)candidate);
            if (candidate > block && candidate - block < ThreadHeapBytes)
            {
                break;
            }
        }

        try
        {
            for (var page = 0; page < pages; page++)
            {
                block[(long)page * Environment.SystemPageSize] = 1;
            }
        }
        finally
        {
            NativeMemory.Free(block);
        }
    }

    /// <summary>The process's minor page faults so far (field 10 of /proc/self/stat).</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
