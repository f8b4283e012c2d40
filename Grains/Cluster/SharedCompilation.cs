using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansFlow.Jobs;
using OrleansFlow.Models;

namespace OrleansFlow.Cluster;

/// <summary>
/// Warms a silo's model for a job's batch shapes in the compiled forms agreed across the cluster
/// (<see cref="ICompilationChoicesGrain"/>): it adopts what a silo of the same node class already chose,
/// times only what none has, and offers that. Each shape is agreed once per loaded model. When the choices
/// grain cannot be reached the silo keeps its own timing (logged): that changes a shard's speed, never its
/// bytes, since by default only forms with the as-loaded outputs are ever chosen.
/// </summary>
public sealed partial class SharedCompilation(IGrainFactory grains, ILocalSiloDetails localSilo, OrleansFlowOptions options, ILogger<SharedCompilation> logger)
{
    public async Task WarmAsync(WarmModel warmModel, JobSpec spec, CancellationToken cancellationToken)
    {
        var shapes = warmModel.BatchShapes(spec);
        // The scope hashes the model's files: read on the thread pool, not on the calling grain's scheduler.
        if (warmModel.Model is not IWarmable warmable || warmModel.Agreed(shapes)
            || await Task.Run(() => warmable.CompilationScope, cancellationToken) is not { } scope)
        {
            await Task.Run(() => warmModel.WarmFor(spec), cancellationToken);
            return;
        }

        var choices = grains.GetGrain<ICompilationChoicesGrain>(CompilationChoicesKey.For(scope, options.NodeClass));
        IReadOnlyList<int> claimed = [];
        try
        {
            // Waits while another silo times these shapes, then adopts its choice: one timing per cluster.
            var agreement = await choices.JoinAsync(shapes, localSilo.SiloAddress, cancellationToken);
            warmable.Adopt(agreement.Agreed);
            claimed = agreement.Claimed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnreachable(e, scope);
        }

        try
        {
            await Task.Run(() => warmModel.WarmFor(spec), cancellationToken);
        }
        catch when (claimed.Count > 0)
        {
            await GiveBackAsync(choices, claimed, scope);
            throw;
        }

        try
        {
            // A silo that could not reach the grain before and timed on its own offers too; the first offer stands
            // and a later one switches to it.
            warmable.Adopt(await choices.OfferAsync(claimed, [.. warmable.Compilation.Where(c => shapes.Contains(c.Batch))], cancellationToken));
            warmModel.MarkAgreed(shapes);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnreachable(e, scope);
        }
    }

    /// <summary>Ends a claim whose timing failed or was cancelled, so that the silos waiting for it time now instead of at its lease's end.</summary>
    private async Task GiveBackAsync(ICompilationChoicesGrain choices, IReadOnlyList<int> claimed, string scope)
    {
        try
        {
            await choices.OfferAsync(claimed, [], CancellationToken.None);
        }
        catch (Exception e)
        {
            LogUnreachable(e, scope);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Compiled forms of {Scope} not agreed with the cluster (this silo runs its own timing's)")]
    private partial void LogUnreachable(Exception exception, string scope);
}
