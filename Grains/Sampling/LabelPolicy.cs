using OrleansFlow.Jobs;
using OrleansFlow.Models;

namespace OrleansFlow.Sampling;

/// <summary>How the class label of each sample is chosen (DESIGN.md "Guidance").</summary>
public sealed record LabelPolicy(LabelMode Mode, int FixedLabel, int ClassCount, int NullClass)
{
    public bool IsConditional => Mode != LabelMode.None;

    /// <summary>Resolves a job's label options against its model; throws <see cref="SpecException"/> if they do not fit.</summary>
    public static LabelPolicy For(JobSpec spec, ModelInfo model)
    {
        if (!model.IsConditional)
        {
            if (spec.ClassLabel is not null)
            {
                throw new SpecException("class", $"{model.Name} is unconditional: it takes no class label");
            }

            if (spec.Guidance != 1)
            {
                throw new SpecException("guidance", $"{model.Name} is unconditional: guidance needs a class-conditional model (leave it at 1)");
            }

            return new LabelPolicy(LabelMode.None, 0, 0, 0);
        }

        if (spec.ClassLabel is { } label && label >= model.ClassCount)
        {
            throw new SpecException("class", $"{label} is out of range: {model.Name} has classes 0..{model.ClassCount - 1}");
        }

        var mode = spec.Unconditional ? LabelMode.None : spec.ClassLabel is null ? LabelMode.Random : LabelMode.Fixed;
        return new LabelPolicy(mode, spec.ClassLabel ?? 0, model.ClassCount, model.NullClass);
    }

    /// <summary>Writes the labels of samples [start, start + labels.Length); empty for an unconditional model.</summary>
    public void Fill(SampleNoise noise, long start, Span<int> labels)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = Mode switch
            {
                LabelMode.Fixed => FixedLabel,
                LabelMode.Random => noise.Label(start + i, ClassCount),
                _ => NullClass,
            };
        }
    }
}
