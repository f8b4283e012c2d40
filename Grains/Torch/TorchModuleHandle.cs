using Microsoft.Win32.SafeHandles;

namespace OrleansFlow.Torch;

/// <summary>Owns one loaded TorchScript module of the shim.</summary>
internal sealed class TorchModuleHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TorchModuleHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ModuleFree(handle);
        return true;
    }
}
