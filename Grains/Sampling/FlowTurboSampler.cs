using OrleansFlow.Tensors;

namespace OrleansFlow.Sampling;

/// <summary>
/// FlowTurbo (Zhao et al., NeurIPS 2024) exactly as its <c>models_assemble.py</c> and DESIGN.md spell it,
/// on the grid t_k = k/(H+P+R):
/// H Heun steps keep d' = v(x̃, t_k+1); P pseudo-corrector steps reuse the kept d' as their d (1 NFE);
/// R refiner steps with u = the kept velocity: d = R(x, t_k, u) + u, x̃ = x + h·d,
/// d' = R(x̃, t_k+1, u) + d, x ← x + h/2·(d + d'), then u ← d.
/// With nothing kept yet (H = 0), the predictor is evaluated once at the current point.
/// </summary>
public sealed class FlowTurboSampler(SamplerSpec spec) : IFlowSampler
{
    public SamplerSpec Spec => spec;

    public ITensor Sample(ITensor x0, GuidedVelocity velocity)
    {
        var backend = velocity.Backend;
        var grid = new TimeGrid(spec.Steps);
        var x = backend.Copy(x0);
        ITensor? kept = null;
        var k = 0;
        try
        {
            for (var i = 0; i < spec.HeunSteps; i++, k++)
            {
                using var d = velocity.Predict(x, grid[k]);
                x = Advance(velocity, x, d, grid[k + 1], grid.Step, ref kept);
            }

            for (var i = 0; i < spec.PseudoCorrectorSteps; i++, k++)
            {
                kept ??= velocity.Predict(x, grid[k]);
                var d = kept;
                kept = null;
                using (d)
                {
                    x = Advance(velocity, x, d, grid[k + 1], grid.Step, ref kept);
                }
            }

            for (var i = 0; i < spec.RefinerSteps; i++, k++)
            {
                kept ??= velocity.Predict(x, grid[k]);
                x = RefinerStep(velocity, x, grid[k], grid[k + 1], grid.Step, ref kept);
            }

            return x;
        }
        finally
        {
            kept?.Dispose();
        }
    }

    /// <summary>A Heun or pseudo-corrector step: replaces x, keeps the new d'.</summary>
    private static ITensor Advance(GuidedVelocity velocity, ITensor x, ITensor d, double tNext, double h, ref ITensor? kept)
    {
        using var previous = x;
        var next = HeunStep.Take(velocity, previous, d, tNext, h, out var dNext);
        kept?.Dispose();
        kept = dNext;
        return next;
    }

    private static ITensor RefinerStep(GuidedVelocity velocity, ITensor x, double t, double tNext, double h, ref ITensor? u)
    {
        var backend = velocity.Backend;
        using var previous = x;
        ITensor d;
        using (var change = velocity.Refine(previous, t, u!))
        {
            d = backend.Add(change, 1, u!);
        }

        using var predicted = backend.Add(previous, h, d);
        using var changeNext = velocity.Refine(predicted, tNext, u!);
        using var dNext = backend.Add(changeNext, 1, d);
        var next = backend.Add(previous, h / 2, d, h / 2, dNext);
        u!.Dispose();
        u = d;
        return next;
    }
}
