using OrleansFlow.Cluster;
using OrleansFlow.Models;
using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Evaluation;

/// <summary>
/// The error FlowTurbo claims to cut, measured directly: the RMS distance (over every pixel of the
/// first <see cref="Samples"/> samples) between a row's samples and a converged solve —
/// <see cref="Converged"/> of the 1-rectified flow — from the same noises and labels. FID-digits
/// compares distributions and saturates; this sees every sample's solver error. The one-step rows are
/// measured against the same solve, i.e. against the coupling InstaFlow's reflow and distillation try
/// to reproduce.
/// </summary>
internal sealed class TrajectoryError(IModelLoader loader, string referenceModel, int samples)
{
    // Not timed, so the rows' models are loaded here once each rather than borrowed from the cluster's sampler grains.
    private readonly Dictionary<string, IFlowModel> _models = new(StringComparer.Ordinal);

    /// <summary>Stands in for the exact ODE solution: on digits-rf Heun's error against it falls 2.7× from 8 to 16 steps (README), so its own is far below every row's.</summary>
    public static SamplerSpec Converged { get; } = SamplerSpec.Parse("heun:steps=64");

    private float[]? _reference;

    public int Samples => samples;

    /// <summary>The RMS of the row's first samples against the converged solve of the same seed, labels and guidance, and those samples.</summary>
    public (double Rms, float[] Samples, Ids.Resolution Shape) Measure(JobSpec row, CancellationToken cancellationToken)
    {
        _reference ??= Solve(row with { Model = referenceModel, Sampler = Converged }, cancellationToken).Samples;
        var (samples, shape) = Solve(row, cancellationToken);
        return (SolverError.Rms(samples, _reference), samples, shape);
    }

    /// <summary>The first samples of the job in the job's own batches (libtorch's kernels round differently per batch size).</summary>
    private (float[] Samples, Ids.Resolution Shape) Solve(JobSpec spec, CancellationToken cancellationToken)
    {
        if (!_models.TryGetValue(spec.Model, out var model))
        {
            model = loader.Load(spec.Model);
            _models[spec.Model] = model;
        }

        var generator = ResolvedJob.ForShards(loader.Localize(spec), model).Generator;
        var elements = generator.SampleShape.Elements;
        var result = new float[samples * elements];
        for (var start = 0; start < samples; start += spec.BatchSize)
        {
            var batch = generator.Generate(start, Math.Min(spec.BatchSize, samples - start), cancellationToken);
            batch.Samples.CopyTo(result, start * elements);
        }

        return (result, generator.SampleShape);
    }
}
