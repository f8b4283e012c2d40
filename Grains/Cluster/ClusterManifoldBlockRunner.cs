using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Telemetry;

namespace OrleansFlow.Cluster;

/// <summary>
/// Spreads a pass's blocks over the live silos through one <see cref="IManifoldWorkerGrain"/> per (silo,
/// job), at most <see cref="OrleansFlowOptions.Workers"/> blocks at once on each. A block whose call fails
/// (its silo died, or it threw) is dispatched again, to a silo it has not failed on when one is live, up
/// to <see cref="OrleansFlowOptions.MaxAttempts"/> times. Radii go through create-only blobs (the workers
/// write and read them), counts come back in the replies; both merge in block order, so the result is
/// that of <see cref="LocalManifoldBlockRunner"/> whichever silo ran which block.
/// </summary>
public sealed partial class ClusterManifoldBlockRunner(
    IGrainFactory grains,
    IClusterMembershipService membership,
    JobId job,
    JobSpec spec,
    OrleansFlowOptions options,
    ILogger<ClusterManifoldBlockRunner> logger) : IManifoldBlockRunner
{
    private readonly Dictionary<ManifoldSide, int> _radiiBlockSize = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public async Task RadiiAsync(ManifoldSide side, IReadOnlyList<ManifoldBlock> blocks, int neighbours, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var blockSize = blocks.Count > 0 ? blocks[0].Count : 1;
        await DispatchAsync(side, blocks, async (worker, block) =>
        {
            await worker.RadiiAsync(Work(side, block, neighbours, blockSize), cancellationToken);
            return 0L;
        }, cancellationToken);
        _radiiBlockSize[side] = blockSize;
    }

    public Task<long[]> CountInsideAsync(ManifoldSide queries, IReadOnlyList<ManifoldBlock> blocks, CancellationToken cancellationToken)
    {
        var centres = PrecisionRecall.Other(queries);
        var radiiBlockSize = _radiiBlockSize.TryGetValue(centres, out var size)
            ? size
            : throw new InvalidOperationException($"The {centres} radii pass must run before counting {queries} rows inside its manifold.");
        return DispatchAsync(queries, blocks, (worker, block) => worker.CountInsideAsync(Work(queries, block, 0, radiiBlockSize), cancellationToken), cancellationToken);
    }

    /// <summary>Releases the workers this runner used: they drop the job's features (best effort; idle collection is the backstop).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _used)
        {
            try
            {
                await Worker(silo).ReleaseAsync();
            }
            catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
            {
                LogReleaseFailed(job.Value, silo);
            }
        }
    }

    private ManifoldBlockWork Work(ManifoldSide side, ManifoldBlock block, int neighbours, int radiiBlockSize) =>
        new(job.Value, spec, side, block.Start, block.Count, neighbours, radiiBlockSize);

    private IManifoldWorkerGrain Worker(string silo) => grains.GetGrain<IManifoldWorkerGrain>(new ManifoldWorkerKey(silo, job.Value).ToGrainKey());

    /// <summary>Runs every block, keeping each live silo's slots full; the results in block order.</summary>
    private async Task<long[]> DispatchAsync(ManifoldSide side, IReadOnlyList<ManifoldBlock> blocks, Func<IManifoldWorkerGrain, ManifoldBlock, Task<long>> run, CancellationToken cancellationToken)
    {
        var results = new long[blocks.Count];
        var attempts = new int[blocks.Count];
        var failedOn = blocks.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
        var pending = new Queue<int>(Enumerable.Range(0, blocks.Count));
        var running = new Dictionary<Task<long>, (int Block, string Silo)>();
        while (pending.Count > 0 || running.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var silos = ActiveSilos.Of(membership);
            var load = silos.ToDictionary(s => s, s => running.Values.Count(r => r.Silo == s), StringComparer.Ordinal);
            while (pending.Count > 0 && Pick(silos, load, failedOn[pending.Peek()]) is { } silo)
            {
                var block = pending.Dequeue();
                attempts[block]++;
                load[silo]++;
                _used.Add(silo);
                running[run(Worker(silo), blocks[block])] = (block, silo);
            }

            if (running.Count == 0)
            {
                // No silo is live (membership is changing): look again shortly.
                await Task.Delay(options.SchedulerTick, cancellationToken);
                continue;
            }

            var done = await Task.WhenAny(running.Keys);
            var (index, ranOn) = running[done];
            running.Remove(done);
            try
            {
                results[index] = await done;
                OrleansFlowMetrics.ManifoldBlocks.Add(1, new("silo", ranOn), new("outcome", "completed"));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                OrleansFlowMetrics.ManifoldBlocks.Add(1, new("silo", ranOn), new("outcome", "failed"));
                LogBlockFailed(e, job.Value, side, blocks[index].Start, ranOn, attempts[index]);
                if (attempts[index] >= options.MaxAttempts)
                {
                    throw new JobFailedException($"precision/recall block {side.ToString().ToLowerInvariant()} rows {blocks[index].Start}+{blocks[index].Count} failed {attempts[index]} times; last on {ranOn}: {e.GetType().Name}: {e.Message}");
                }

                failedOn[index].Add(ranOn);
                pending.Enqueue(index);
            }
        }

        return results;
    }

    /// <summary>The least loaded silo with a free slot, preferring one the block has not failed on.</summary>
    private string? Pick(IReadOnlyList<string> silos, Dictionary<string, int> load, HashSet<string> failedOn)
    {
        var free = silos.Where(s => load[s] < options.Workers).ToList();
        return free.Where(s => !failedOn.Contains(s)).MinBy(s => load[s]) ?? free.MinBy(s => load[s]);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Precision/recall block of job {Job} ({Side} rows from {Start}) failed on silo {Silo}, attempt {Attempt}")]
    private partial void LogBlockFailed(Exception error, string job, ManifoldSide side, int start, string silo, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not release the manifold worker of job {Job} on silo {Silo} (gone); idle collection frees it")]
    private partial void LogReleaseFailed(string job, string silo);
}
