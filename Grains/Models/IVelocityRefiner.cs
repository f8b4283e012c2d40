using OrleansFlow.Tensors;

namespace OrleansFlow.Models;

/// <summary>
/// FlowTurbo's light velocity refiner R(x, t, u): the change to add to the previous velocity u to get
/// the velocity at (x, t) (FlowTurbo <c>models_assemble.py</c>).
/// </summary>
public interface IVelocityRefiner
{
    ITensor Refine(ITensor x, double t, ITensor previousVelocity, ReadOnlySpan<int> labels);
}
