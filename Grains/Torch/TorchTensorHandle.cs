using Microsoft.Win32.SafeHandles;

namespace OrleansFlow.Torch;

/// <summary>Owns one libtorch tensor of the shim (on whatever device it lives).</summary>
internal sealed class TorchTensorHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TorchTensorHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.TensorFree(handle);
        return true;
    }
}
