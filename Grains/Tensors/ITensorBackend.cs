using OrleansFlow.Ids;

namespace OrleansFlow.Tensors;

/// <summary>
/// The few batched tensor operations the samplers need. Every operation returns a new tensor and
/// leaves its inputs untouched; callers dispose what they no longer need. Each sample is computed
/// independently of the others in its batch, so results never depend on the batch size.
/// </summary>
public interface ITensorBackend
{
    /// <summary>A short name for logs and summaries, e.g. <c>cpu</c>.</summary>
    string Name { get; }

    /// <summary>Copies <paramref name="batch"/> samples of <paramref name="shape"/> from host memory.</summary>
    ITensor Upload(ReadOnlySpan<float> data, int batch, Resolution shape);

    /// <summary>Copies the tensor to host memory (batch × elements floats, row-major).</summary>
    void Download(ITensor tensor, Span<float> destination);

    /// <summary>A copy the caller owns (samplers copy x0 so that they may dispose every intermediate x).</summary>
    ITensor Copy(ITensor x);

    /// <summary><c>x + a·d</c>.</summary>
    ITensor Add(ITensor x, double a, ITensor d);

    /// <summary><c>x + a·d + b·e</c> (a Heun update in one pass).</summary>
    ITensor Add(ITensor x, double a, ITensor d, double b, ITensor e);

    /// <summary><c>from + s·(to − from)</c>: classifier-free guidance with from = unconditional.</summary>
    ITensor Lerp(ITensor from, ITensor to, double s);

    /// <summary>Concatenates two batches of the same sample shape.</summary>
    ITensor Concat(ITensor first, ITensor second);

    /// <summary>Splits a batch into its first <paramref name="firstCount"/> samples and the rest.</summary>
    (ITensor First, ITensor Second) Split(ITensor tensor, int firstCount);
}
