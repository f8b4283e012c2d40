using System.Collections.Concurrent;
using System.Numerics.Tensors;
using OrleansFlow.Ids;

namespace OrleansFlow.Tensors;

/// <summary>
/// The managed backend: vectorised with <see cref="TensorPrimitives"/>, parallel over the batch.
/// Each sample is processed as its own span so the vector/scalar split of an element never depends
/// on where the sample sits in the batch — the results are batch-size invariant bit for bit.
/// </summary>
public sealed class CpuTensorBackend : ITensorBackend
{
    public static CpuTensorBackend Instance { get; } = new();

    public string Name => "cpu";

    public ITensor Upload(ReadOnlySpan<float> data, int batch, Resolution shape) =>
        new CpuTensor(data[..(batch * shape.Elements)].ToArray(), batch, shape);

    public void Download(ITensor tensor, Span<float> destination) => Cpu(tensor).Data.CopyTo(destination);

    public ITensor Copy(ITensor x)
    {
        var cx = Cpu(x);
        return new CpuTensor((float[])cx.Data.Clone(), cx.Batch, cx.Shape);
    }

    public ITensor Add(ITensor x, double a, ITensor d)
    {
        var (cx, cd) = (Cpu(x), Same(x, d));
        var scale = (float)a;
        return Map(cx, (i, output) => TensorPrimitives.MultiplyAdd(cd.Sample(i), scale, cx.Sample(i), output));
    }

    public ITensor Add(ITensor x, double a, ITensor d, double b, ITensor e)
    {
        var (cx, cd, ce) = (Cpu(x), Same(x, d), Same(x, e));
        var (scaleA, scaleB) = ((float)a, (float)b);
        return Map(cx, (i, output) =>
        {
            TensorPrimitives.MultiplyAdd(cd.Sample(i), scaleA, cx.Sample(i), output);
            TensorPrimitives.MultiplyAdd(ce.Sample(i), scaleB, output, output);
        });
    }

    public ITensor Lerp(ITensor from, ITensor to, double s)
    {
        var (cf, ct) = (Cpu(from), Same(from, to));
        var scale = (float)s;
        return Map(cf, (i, output) =>
        {
            TensorPrimitives.Subtract(ct.Sample(i), cf.Sample(i), output);
            TensorPrimitives.MultiplyAdd(output, scale, cf.Sample(i), output);
        });
    }

    public ITensor Concat(ITensor first, ITensor second)
    {
        var (a, b) = (Cpu(first), Cpu(second));
        if (a.Shape != b.Shape)
        {
            throw new ArgumentException($"cannot concatenate samples of {a.Shape} and {b.Shape}");
        }

        var data = new float[a.Data.Length + b.Data.Length];
        a.Data.CopyTo(data, 0);
        b.Data.CopyTo(data, a.Data.Length);
        return new CpuTensor(data, a.Batch + b.Batch, a.Shape);
    }

    public (ITensor First, ITensor Second) Split(ITensor tensor, int firstCount)
    {
        var t = Cpu(tensor);
        ArgumentOutOfRangeException.ThrowIfNegative(firstCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstCount, t.Batch);
        var cut = firstCount * t.Shape.Elements;
        return (new CpuTensor(t.Data[..cut], firstCount, t.Shape),
                new CpuTensor(t.Data[cut..], t.Batch - firstCount, t.Shape));
    }

    private delegate void SampleKernel(int index, Span<float> output);

    private static CpuTensor Map(CpuTensor like, SampleKernel kernel)
    {
        var result = new CpuTensor(new float[like.Data.Length], like.Batch, like.Shape);
        ForEachSample(like.Batch, like.Shape.Elements, i => kernel(i, result.Sample(i)));
        return result;
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every sample, in parallel over chunks big enough (about 16k
    /// floats) that scheduling does not dominate small samples.
    /// </summary>
    public static void ForEachSample(int batch, int elementsPerSample, Action<int> body)
    {
        var chunk = Math.Max(1, 16_384 / Math.Max(1, elementsPerSample));
        Parallel.ForEach(Partitioner.Create(0, batch, chunk), range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                body(i);
            }
        });
    }

    private static CpuTensor Cpu(ITensor tensor) =>
        tensor as CpuTensor ?? throw new ArgumentException($"the cpu backend cannot use a {tensor.GetType().Name}");

    private static CpuTensor Same(ITensor like, ITensor other)
    {
        var cpu = Cpu(other);
        if (cpu.Batch != like.Batch || cpu.Shape != like.Shape)
        {
            throw new ArgumentException($"shape mismatch: {like.Batch}×{like.Shape} vs {cpu.Batch}×{cpu.Shape}");
        }

        return cpu;
    }
}
