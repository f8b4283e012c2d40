using OrleansFlow.Ids;

namespace OrleansFlow.Tensors;

/// <summary>
/// A batch of samples owned by a <see cref="ITensorBackend"/>, e.g. managed memory or a libtorch tensor
/// on a GPU. Samplers never look inside: they combine tensors through their backend, so tensors stay
/// on the device between steps.
/// </summary>
public interface ITensor : IDisposable
{
    /// <summary>Number of samples in the batch.</summary>
    int Batch { get; }

    /// <summary>Shape of one sample.</summary>
    Resolution Shape { get; }
}
