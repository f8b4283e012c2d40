using OrleansFlow.Ids;
using OrleansFlow.Tensors;

namespace OrleansFlow.Torch;

/// <summary>A batch held by libtorch on the backend's device; it stays there between sampler steps.</summary>
public sealed class TorchTensor : ITensor
{
    internal TorchTensor(TorchTensorHandle handle, int batch, Resolution shape)
    {
        Handle = handle;
        Batch = batch;
        Shape = shape;
    }

    public int Batch { get; }

    public Resolution Shape { get; }

    internal TorchTensorHandle Handle { get; }

    public void Dispose() => Handle.Dispose();
}
