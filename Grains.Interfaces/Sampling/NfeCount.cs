namespace OrleansFlow.Sampling;

/// <summary>
/// Network function evaluations, counted separately for the velocity predictor and the (light) refiner
/// as FlowTurbo reports them. A classifier-free-guided call evaluates both halves in one batched call
/// and counts once.
/// </summary>
public readonly record struct NfeCount(long Predictor, long Refiner)
{
    public static NfeCount operator +(NfeCount a, NfeCount b) => new(a.Predictor + b.Predictor, a.Refiner + b.Refiner);
}
