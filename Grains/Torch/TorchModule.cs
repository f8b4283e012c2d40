namespace OrleansFlow.Torch;

/// <summary>
/// One TorchScript module loaded by the shim onto a device in one compiled form (<see cref="TorchCompilation"/>).
/// <see cref="Forward"/> is safe to call from several threads at once (TorchScript's executor is).
/// </summary>
public sealed class TorchModule : IDisposable
{
    private readonly TorchModuleHandle _handle;

    private TorchModule(TorchModuleHandle handle, string path, string device, TorchCompilation compilation)
    {
        _handle = handle;
        Path = path;
        Device = device;
        Compilation = compilation;
    }

    public string Path { get; }

    public string Device { get; }

    public TorchCompilation Compilation { get; }

    /// <summary>
    /// Loads <paramref name="path"/> in eval mode, compiled as <paramref name="compilation"/> says.
    /// Throws <see cref="TorchException"/> naming the file when it is not a TorchScript archive.
    /// </summary>
    public static TorchModule Load(string path, string device = "cpu", TorchCompilation compilation = TorchCompilation.FrozenOptimized)
    {
        TorchLibrary.EnsureLoaded();
        if (!File.Exists(path))
        {
            throw new TorchException($"{path}: no such file");
        }

        var status = NativeMethods.ModuleLoad(path, device, (int)compilation, out var handle);
        if (status != 0)
        {
            handle.Dispose();
            try
            {
                NativeMethods.ThrowIfFailed(status);
            }
            catch (TorchException e)
            {
                throw new TorchException($"{path}: not a loadable TorchScript module on {device}: {FirstLine(e.Message)}", e);
            }
        }

        return new TorchModule(handle, path, device, compilation);
    }

    /// <summary>Replays a CUDA graph per input shape (CUDA builds only; throws on CPU).</summary>
    public void EnableCudaGraphs(bool enabled) =>
        NativeMethods.ThrowIfFailed(NativeMethods.ModuleEnableCudaGraphs(_handle, enabled ? 1 : 0));

    public int CudaGraphCount
    {
        get
        {
            NativeMethods.ThrowIfFailed(NativeMethods.ModuleCudaGraphCount(_handle, out var count));
            return count;
        }
    }

    internal unsafe TorchTensorHandle Forward(params ReadOnlySpan<TorchTensorHandle> inputs)
    {
        var pointers = stackalloc IntPtr[inputs.Length];
        var added = 0;
        try
        {
            AddRefs(inputs, pointers, ref added);
            var status = NativeMethods.ModuleForward(_handle, pointers, inputs.Length, out var output);
            ThrowIfForwardFailed(status, output);
            return output;
        }
        finally
        {
            Release(inputs, added);
        }
    }

    /// <summary>
    /// forward for a module with several outputs, selected by <paramref name="names"/> (tuple/list
    /// positions or dict keys, see the shim's <c>oft_module_forward_rows</c>): one [N, Σw] tensor of
    /// the flattened outputs side by side, and each output's width.
    /// </summary>
    internal unsafe (TorchTensorHandle Rows, long[] Widths) ForwardRows(IReadOnlyList<string> names, params ReadOnlySpan<TorchTensorHandle> inputs)
    {
        var pointers = stackalloc IntPtr[inputs.Length];
        var namePointers = new IntPtr[names.Count];
        var widths = new long[names.Count];
        var added = 0;
        try
        {
            for (var i = 0; i < names.Count; i++)
            {
                namePointers[i] = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(names[i]);
            }

            AddRefs(inputs, pointers, ref added);
            fixed (IntPtr* nameArray = namePointers)
            fixed (long* widthArray = widths)
            {
                var status = NativeMethods.ModuleForwardRows(_handle, pointers, inputs.Length, nameArray, names.Count, out var output, widthArray);
                ThrowIfForwardFailed(status, output);
                return (output, widths);
            }
        }
        finally
        {
            Release(inputs, added);
            foreach (var pointer in namePointers)
            {
                System.Runtime.InteropServices.Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Holds every input's handle open for the native call and writes its pointer; <paramref name="added"/>
    /// counts those held, so the caller's <c>finally</c> releases exactly them if one was already closed.
    /// </summary>
    private static unsafe void AddRefs(ReadOnlySpan<TorchTensorHandle> inputs, IntPtr* pointers, ref int added)
    {
        for (; added < inputs.Length; added++)
        {
            var ok = false;
            inputs[added].DangerousAddRef(ref ok);
            pointers[added] = inputs[added].DangerousGetHandle();
        }
    }

    private static void Release(ReadOnlySpan<TorchTensorHandle> inputs, int added)
    {
        for (var i = 0; i < added; i++)
        {
            inputs[i].DangerousRelease();
        }
    }

    /// <summary>A failed forward: frees the (empty) output handle and throws the shim's error under the module's file name.</summary>
    private void ThrowIfForwardFailed(int status, TorchTensorHandle output)
    {
        if (status == 0)
        {
            return;
        }

        output.Dispose();
        try
        {
            NativeMethods.ThrowIfFailed(status);
        }
        catch (TorchException e)
        {
            throw new TorchException($"{System.IO.Path.GetFileName(Path)}: forward failed: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// The line a user needs: TorchScript interpreter errors end with the Python-style
    /// "RuntimeError: ..." line after a traceback; other errors say it on their first line.
    /// </summary>
    internal static string FirstLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.LastOrDefault(l => l.Contains("Error: ", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? message.Trim();
    }

    internal static string Describe(ReadOnlySpan<long> shape) => $"[{string.Join(", ", shape.ToArray())}]";
}
