using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Concurrency;
using OrleansFlow.Formats;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Statistics.Metrics;
using OrleansFlow.Storage;

namespace OrleansFlow.Cluster;

/// <summary>
/// Runs one job's precision/recall blocks on one silo (<see cref="ManifoldWorkerKey"/>). The job's
/// features are read once per activation from blob storage and the job's reference, and kept until the
/// finaliser releases the worker (or Orleans collects it when idle, if the finaliser died); the radii
/// the count blocks need are read from the radii blobs once per side. Reentrant: the blocks of one
/// job run side by side on the thread pool; the grain's fields change only on its scheduler.
/// </summary>
[SiloPinnedPlacement]
[Reentrant]
public sealed partial class ManifoldWorkerGrain(
    IModelLoader loader,
    IJobStorage storage,
    WarmSamplers warm,
    OrleansFlowOptions options,
    ILogger<ManifoldWorkerGrain> logger) : Grain, IManifoldWorkerGrain
{
    private readonly Dictionary<ManifoldSide, Task<double[]>> _radii = [];
    private Task<ManifoldInputs>? _inputs;

    public async Task RadiiAsync(ManifoldBlockWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var place = storage.For(JobId.Parse(work.Job));
        var name = place.Layout.ManifoldRadii(work.Side, work.Start);
        if (await place.Blobs.ExistsAsync(name, cancellationToken))
        {
            // Written by an earlier finaliser's pass (or a twin dispatch): the same bytes, so keep them.
            return;
        }

        var inputs = await InputsAsync(work, cancellationToken);
        var block = inputs.Block(work.Side, work.Start, work.Count);
        await PauseAsync(cancellationToken);
        var radii = await Task.Run(() => ManifoldEstimate.Radii(inputs.Of(work.Side), block, work.Neighbours), cancellationToken);
        await place.Blobs.TryCreateAsync(name, (stream, _) =>
        {
            Npy.Write(stream, NpyArray.FromDoubles(radii, radii.Length));
            return Task.CompletedTask;
        }, cancellationToken);
        LogBlock("radii", work.Job, work.Side, work.Start, work.Count);
    }

    public async Task<long> CountInsideAsync(ManifoldBlockWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var inputs = await InputsAsync(work, cancellationToken);
        var block = inputs.Block(work.Side, work.Start, work.Count);
        var centres = PrecisionRecall.Other(work.Side);
        var radii = await RadiiAsync(centres, work, inputs, cancellationToken);
        await PauseAsync(cancellationToken);
        var inside = await Task.Run(() => ManifoldEstimate.CountInside(inputs.Of(centres), radii, inputs.Of(work.Side), block), cancellationToken);
        LogBlock("count", work.Job, work.Side, work.Start, work.Count);
        return inside;
    }

    public Task ReleaseAsync(CancellationToken cancellationToken)
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <summary>The job's features on this silo, loaded by the first block; a failed load is not kept (the next block tries again).</summary>
    private async Task<ManifoldInputs> InputsAsync(ManifoldBlockWork work, CancellationToken cancellationToken)
    {
        _inputs ??= Task.Run(() => LoadAsync(work, cancellationToken), cancellationToken);
        try
        {
            return await _inputs;
        }
        catch
        {
            _inputs = null;
            throw;
        }
    }

    /// <summary>Runs on the thread pool: touches only the injected services.</summary>
    private async Task<ManifoldInputs> LoadAsync(ManifoldBlockWork work, CancellationToken cancellationToken)
    {
        // The reference is resolved as the finaliser resolves it, through this silo's loader; the model
        // (needed to validate the spec and give the sample shape) is the warm one when this silo has it.
        var silo = ManifoldWorkerKey.Parse(this.GetPrimaryKeyString()).Silo;
        var actor = warm.Find(new SamplerGrainKey(silo, work.Spec.Model).ToGrainKey());
        using var busy = actor?.Use();
        var job = ResolvedJob.Create(loader.Localize(work.Spec), actor?.Model ?? loader.Load(work.Spec.Model));
        var place = storage.For(JobId.Parse(work.Job));
        return await ManifoldInputs.LoadAsync(job, place.Blobs, place.Layout, cancellationToken);
    }

    /// <summary>The squared radii of every row of <paramref name="side"/>, read once from its blocks' blobs in row order.</summary>
    private async Task<double[]> RadiiAsync(ManifoldSide side, ManifoldBlockWork work, ManifoldInputs inputs, CancellationToken cancellationToken)
    {
        if (!_radii.TryGetValue(side, out var reading))
        {
            var place = storage.For(JobId.Parse(work.Job));
            reading = ReadRadiiAsync(place.Blobs, place.Layout, side, inputs.Of(side).Count, work.RadiiBlockSize, cancellationToken);
            _radii[side] = reading;
        }

        try
        {
            return await reading;
        }
        catch
        {
            _radii.Remove(side);
            throw;
        }
    }

    private static async Task<double[]> ReadRadiiAsync(IBlobStore blobs, JobLayout layout, ManifoldSide side, int rows, int blockSize, CancellationToken cancellationToken)
    {
        var radii = new double[rows];
        foreach (var block in ManifoldBlock.Plan(rows, blockSize))
        {
            var name = layout.ManifoldRadii(side, block.Start);
            await using var stream = await blobs.OpenReadAsync(name, cancellationToken);
            var values = Npy.Read(stream, name).ToDoubleArray();
            if (values.Length != block.Count)
            {
                throw new InvalidDataException($"{name} holds {values.Length} radii; its block has {block.Count} rows.");
            }

            values.CopyTo(radii, block.Start);
        }

        return radii;
    }

    private Task PauseAsync(CancellationToken cancellationToken) =>
        options.ManifoldBlockDelay > TimeSpan.Zero ? Task.Delay(options.ManifoldBlockDelay, cancellationToken) : Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ran a {Pass} block of job {Job}: {Side} rows {Start} +{Count}")]
    private partial void LogBlock(string pass, string job, ManifoldSide side, int start, int count);
}
