namespace OrleansFlow.Sampling;

/// <summary>The uniform grid t_k = k/N, k = 0..N (FlowTurbo's <c>linspace(0, 1, N + 1)</c>).</summary>
public readonly struct TimeGrid(int steps)
{
    public double Step => 1.0 / steps;

    public double this[int k] => (double)k / steps;
}
