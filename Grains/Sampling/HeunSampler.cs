using OrleansFlow.Tensors;

namespace OrleansFlow.Sampling;

/// <summary>
/// N full Heun steps on t_k = k/N (2N evaluations; unlike EDM, the last step keeps its correction):
/// d = v(x, t_k), x̃ = x + h·d, d' = v(x̃, t_k+1), x ← x + h/2·(d + d').
/// </summary>
public sealed class HeunSampler(SamplerSpec spec) : IFlowSampler
{
    public SamplerSpec Spec => spec;

    public ITensor Sample(ITensor x0, GuidedVelocity velocity)
    {
        var grid = new TimeGrid(spec.Steps);
        var x = velocity.Backend.Copy(x0);
        for (var k = 0; k < spec.Steps; k++)
        {
            using var d = velocity.Predict(x, grid[k]);
            using var previous = x;
            x = HeunStep.Take(velocity, previous, d, grid[k + 1], grid.Step, out var dNext);
            dNext.Dispose();
        }

        return x;
    }
}
