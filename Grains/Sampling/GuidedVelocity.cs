using OrleansFlow.Models;
using OrleansFlow.Tensors;

namespace OrleansFlow.Sampling;

/// <summary>
/// The velocity a sampler sees for one batch: the model with its labels bound, classifier-free guidance
/// applied (v = v_uncond + s·(v_cond − v_uncond), both halves in one batched call) and every call
/// counted, predictor and refiner apart.
/// </summary>
public sealed class GuidedVelocity
{
    private readonly IFlowModel _model;
    private readonly int[] _labels;
    private readonly int[]? _guidedLabels;
    private readonly double _scale;
    private readonly CancellationToken _cancellation;

    /// <param name="cancellation">Checked before every evaluation, so a long trajectory stops within one step.</param>
    public GuidedVelocity(IFlowModel model, ReadOnlySpan<int> labels, double guidance, CancellationToken cancellation = default)
    {
        _model = model;
        _cancellation = cancellation;
        _labels = labels.ToArray();
        _scale = guidance;
        // s = 1 is the conditional velocity alone: one call, no unconditional half (DESIGN.md "Guidance").
        if (guidance != 1 && model.Info.IsConditional && _labels.Length > 0)
        {
            _guidedLabels = [.. Enumerable.Repeat(model.Info.NullClass, _labels.Length), .. _labels];
        }
    }

    public ITensorBackend Backend => _model.Backend;

    public NfeCount Nfe { get; private set; }

    /// <summary>v(x, t) of the predictor.</summary>
    public ITensor Predict(ITensor x, double t)
    {
        _cancellation.ThrowIfCancellationRequested();
        Nfe += new NfeCount(1, 0);
        if (_guidedLabels is null)
        {
            return _model.Velocity(x, t, _labels);
        }

        using var doubled = Backend.Concat(x, x);
        using var both = _model.Velocity(doubled, t, _guidedLabels);
        return Guide(both, x.Batch);
    }

    /// <summary>R(x, t, u) of the refiner.</summary>
    public ITensor Refine(ITensor x, double t, ITensor previousVelocity)
    {
        var refiner = _model.Refiner ?? throw new SpecException(
            SamplerSpec.Field, $"{_model.Info.Name} has no velocity refiner: use flowturbo with r=0, or heun/euler");
        _cancellation.ThrowIfCancellationRequested();
        Nfe += new NfeCount(0, 1);
        if (_guidedLabels is null)
        {
            return refiner.Refine(x, t, previousVelocity, _labels);
        }

        using var doubled = Backend.Concat(x, x);
        using var doubledVelocity = Backend.Concat(previousVelocity, previousVelocity);
        using var both = refiner.Refine(doubled, t, doubledVelocity, _guidedLabels);
        return Guide(both, x.Batch);
    }

    private ITensor Guide(ITensor both, int batch)
    {
        var (unconditional, conditional) = Backend.Split(both, batch);
        using (unconditional)
        using (conditional)
        {
            return Backend.Lerp(unconditional, conditional, _scale);
        }
    }
}
