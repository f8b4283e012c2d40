using System.Runtime.InteropServices;

namespace OrleansFlow.Torch;

/// <summary>
/// The C ABI of <c>native/include/orleansflow_torch.h</c>. Every <c>int</c> is a status for
/// <see cref="ThrowIfFailed"/>; handles come back as <see cref="SafeHandle"/>s, so a native object is
/// freed exactly once even when the caller forgets to dispose it.
/// </summary>
internal static partial class NativeMethods
{
    public const string Library = "orleansflow_torch";

    [LibraryImport(Library, EntryPoint = "oft_last_error")]
    private static partial IntPtr LastError();

    [LibraryImport(Library, EntryPoint = "oft_torch_version")]
    public static partial IntPtr TorchVersion();

    [LibraryImport(Library, EntryPoint = "oft_cuda_available")]
    public static partial int CudaAvailable(out int available, out int deviceCount);

    [LibraryImport(Library, EntryPoint = "oft_set_num_threads")]
    public static partial int SetNumThreads(int threads);

    [LibraryImport(Library, EntryPoint = "oft_module_load", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ModuleLoad(string path, string device, int compilation, out TorchModuleHandle module);

    [LibraryImport(Library, EntryPoint = "oft_module_forward")]
    public static unsafe partial int ModuleForward(TorchModuleHandle module, IntPtr* inputs, int count, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_module_forward_rows")]
    public static unsafe partial int ModuleForwardRows(TorchModuleHandle module, IntPtr* inputs, int count, IntPtr* names, int nameCount, out TorchTensorHandle output, long* widths);

    [LibraryImport(Library, EntryPoint = "oft_module_enable_cuda_graphs")]
    public static partial int ModuleEnableCudaGraphs(TorchModuleHandle module, int enabled);

    [LibraryImport(Library, EntryPoint = "oft_module_cuda_graph_count")]
    public static partial int ModuleCudaGraphCount(TorchModuleHandle module, out int count);

    [LibraryImport(Library, EntryPoint = "oft_module_free")]
    public static partial void ModuleFree(IntPtr module);

    [LibraryImport(Library, EntryPoint = "oft_tensor_from_f32", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int TensorFromFloat32(float* data, long* shape, int ndim, string device, out TorchTensorHandle tensor);

    [LibraryImport(Library, EntryPoint = "oft_tensor_from_i64", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int TensorFromInt64(long* data, long* shape, int ndim, string device, out TorchTensorHandle tensor);

    [LibraryImport(Library, EntryPoint = "oft_tensor_full_f32", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int TensorFull(float value, long count, string device, out TorchTensorHandle tensor);

    [LibraryImport(Library, EntryPoint = "oft_tensor_to_f32")]
    public static unsafe partial int TensorToFloat32(TorchTensorHandle tensor, float* destination, long count);

    [LibraryImport(Library, EntryPoint = "oft_tensor_shape")]
    public static unsafe partial int TensorShape(TorchTensorHandle tensor, long* dims, int capacity, out int ndim);

    [LibraryImport(Library, EntryPoint = "oft_tensor_copy")]
    public static partial int TensorCopy(TorchTensorHandle x, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_scale")]
    public static partial int TensorScale(TorchTensorHandle x, double a, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_affine")]
    public static partial int TensorAffine(TorchTensorHandle x, double a, double b, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_add")]
    public static partial int TensorAdd(TorchTensorHandle x, double a, TorchTensorHandle d, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_add2")]
    public static partial int TensorAdd2(TorchTensorHandle x, double a, TorchTensorHandle d, double b, TorchTensorHandle e, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_lerp")]
    public static partial int TensorLerp(TorchTensorHandle from, TorchTensorHandle to, double s, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_cat")]
    public static partial int TensorCat(TorchTensorHandle first, TorchTensorHandle second, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_split")]
    public static partial int TensorSplit(TorchTensorHandle tensor, long firstCount, out TorchTensorHandle first, out TorchTensorHandle second);

    [LibraryImport(Library, EntryPoint = "oft_tensor_resize_bilinear")]
    public static partial int TensorResizeBilinear(TorchTensorHandle x, long height, long width, out TorchTensorHandle output);

    [LibraryImport(Library, EntryPoint = "oft_tensor_free")]
    public static partial void TensorFree(IntPtr tensor);

    /// <summary>Turns a failed status into a <see cref="TorchException"/> carrying the shim's message.</summary>
    /// <remarks>Call it right after the native call, on the same thread: the message is thread-local.</remarks>
    public static void ThrowIfFailed(int status)
    {
        if (status != 0)
        {
            var message = Marshal.PtrToStringUTF8(LastError());
            throw new TorchException(string.IsNullOrEmpty(message) ? $"libtorch call failed with status {status}" : message);
        }
    }
}
