using OrleansFlow.Ids;
using OrleansFlow.Tensors;

namespace OrleansFlow.Torch;

/// <summary>
/// The samplers' tensor operations on libtorch tensors of one device (<c>cpu</c>, <c>cuda:N</c>): only
/// the noise goes up and the samples come down; every intermediate stays on the device. Each
/// operation is elementwise or along the batch dimension, so samples never mix.
/// </summary>
public sealed class TorchTensorBackend : ITensorBackend
{
    public TorchTensorBackend(string device = "cpu")
    {
        TorchLibrary.EnsureLoaded();
        Device = device;
    }

    public string Device { get; }

    public string Name => $"torch:{Device}";

    public ITensor Upload(ReadOnlySpan<float> data, int batch, Resolution shape)
    {
        var count = checked(batch * shape.Elements);
        if (data.Length < count)
        {
            throw new ArgumentException($"{batch}×{shape} needs {count} floats, got {data.Length}", nameof(data));
        }

        return new TorchTensor(UploadFloats(data[..count], [batch, shape.Channels, shape.Height, shape.Width]), batch, shape);
    }

    public void Download(ITensor tensor, Span<float> destination)
    {
        var t = Torch(tensor);
        var count = (long)t.Batch * t.Shape.Elements;
        if (destination.Length < count)
        {
            throw new ArgumentException($"{t.Batch}×{t.Shape} needs {count} floats, destination has {destination.Length}", nameof(destination));
        }

        DownloadFloats(t.Handle, destination[..(int)count]);
    }

    public ITensor Copy(ITensor x)
    {
        var t = Torch(x);
        NativeMethods.ThrowIfFailed(NativeMethods.TensorCopy(t.Handle, out var output));
        return Like(t, output);
    }

    public ITensor Add(ITensor x, double a, ITensor d)
    {
        var (tx, td) = (Torch(x), Same(x, d));
        NativeMethods.ThrowIfFailed(NativeMethods.TensorAdd(tx.Handle, a, td.Handle, out var output));
        return Like(tx, output);
    }

    public ITensor Add(ITensor x, double a, ITensor d, double b, ITensor e)
    {
        var (tx, td, te) = (Torch(x), Same(x, d), Same(x, e));
        NativeMethods.ThrowIfFailed(NativeMethods.TensorAdd2(tx.Handle, a, td.Handle, b, te.Handle, out var output));
        return Like(tx, output);
    }

    public ITensor Lerp(ITensor from, ITensor to, double s)
    {
        var (tf, tt) = (Torch(from), Same(from, to));
        NativeMethods.ThrowIfFailed(NativeMethods.TensorLerp(tf.Handle, tt.Handle, s, out var output));
        return Like(tf, output);
    }

    /// <summary><c>a·x</c> (a velocity sign or a latent scale).</summary>
    public ITensor Scale(ITensor x, double a)
    {
        var t = Torch(x);
        NativeMethods.ThrowIfFailed(NativeMethods.TensorScale(t.Handle, a, out var output));
        return Like(t, output);
    }

    public ITensor Concat(ITensor first, ITensor second)
    {
        var (a, b) = (Torch(first), Torch(second));
        if (a.Shape != b.Shape)
        {
            throw new ArgumentException($"cannot concatenate samples of {a.Shape} and {b.Shape}");
        }

        NativeMethods.ThrowIfFailed(NativeMethods.TensorCat(a.Handle, b.Handle, out var output));
        return new TorchTensor(output, a.Batch + b.Batch, a.Shape);
    }

    public (ITensor First, ITensor Second) Split(ITensor tensor, int firstCount)
    {
        var t = Torch(tensor);
        ArgumentOutOfRangeException.ThrowIfNegative(firstCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstCount, t.Batch);
        NativeMethods.ThrowIfFailed(NativeMethods.TensorSplit(t.Handle, firstCount, out var first, out var second));
        return (new TorchTensor(first, firstCount, t.Shape), new TorchTensor(second, t.Batch - firstCount, t.Shape));
    }

    internal unsafe TorchTensorHandle UploadFloats(ReadOnlySpan<float> data, ReadOnlySpan<long> shape)
    {
        TorchTensorHandle handle;
        fixed (float* pointer = data)
        fixed (long* dims = shape)
        {
            NativeMethods.ThrowIfFailed(NativeMethods.TensorFromFloat32(pointer, dims, shape.Length, Device, out handle));
        }

        return handle;
    }

    internal unsafe TorchTensorHandle UploadLabels(ReadOnlySpan<long> labels)
    {
        TorchTensorHandle handle;
        long length = labels.Length;
        fixed (long* pointer = labels)
        {
            NativeMethods.ThrowIfFailed(NativeMethods.TensorFromInt64(pointer, &length, 1, Device, out handle));
        }

        return handle;
    }

    internal TorchTensorHandle Full(float value, int count)
    {
        NativeMethods.ThrowIfFailed(NativeMethods.TensorFull(value, count, Device, out var handle));
        return handle;
    }

    internal static unsafe void DownloadFloats(TorchTensorHandle handle, Span<float> destination)
    {
        fixed (float* pointer = destination)
        {
            NativeMethods.ThrowIfFailed(NativeMethods.TensorToFloat32(handle, pointer, destination.Length));
        }
    }

    internal static unsafe long[] ShapeOf(TorchTensorHandle handle)
    {
        Span<long> dims = stackalloc long[8];
        int rank;
        fixed (long* pointer = dims)
        {
            NativeMethods.ThrowIfFailed(NativeMethods.TensorShape(handle, pointer, dims.Length, out rank));
        }

        return dims[..Math.Min(rank, dims.Length)].ToArray();
    }

    internal static TorchTensor Torch(ITensor tensor) =>
        tensor as TorchTensor ?? throw new ArgumentException($"the torch backend cannot use a {tensor.GetType().Name}");

    private static TorchTensor Like(TorchTensor like, TorchTensorHandle handle) => new(handle, like.Batch, like.Shape);

    private static TorchTensor Same(ITensor like, ITensor other)
    {
        var t = Torch(other);
        if (t.Batch != like.Batch || t.Shape != like.Shape)
        {
            throw new ArgumentException($"shape mismatch: {like.Batch}×{like.Shape} vs {t.Batch}×{t.Shape}");
        }

        return t;
    }
}
