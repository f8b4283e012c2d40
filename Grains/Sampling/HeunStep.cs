using OrleansFlow.Tensors;

namespace OrleansFlow.Sampling;

/// <summary>The predictor–corrector step shared by Heun and FlowTurbo's Heun and pseudo-corrector steps.</summary>
internal static class HeunStep
{
    /// <summary>
    /// Given the slope <paramref name="d"/> at (x, t_k): x̃ = x + h·d, d' = v(x̃, t_k+1), returns
    /// x + h/2·(d + d') and hands back d' (the velocity a pseudo-corrector step reuses).
    /// </summary>
    public static ITensor Take(GuidedVelocity velocity, ITensor x, ITensor d, double tNext, double h, out ITensor dNext)
    {
        var backend = velocity.Backend;
        using (var predicted = backend.Add(x, h, d))
        {
            dNext = velocity.Predict(predicted, tNext);
        }

        return backend.Add(x, h / 2, d, h / 2, dNext);
    }
}
