using OrleansFlow.Ids;

namespace OrleansFlow.Tensors;

/// <summary>A batch held in managed memory, row-major: sample i occupies [i·E, (i+1)·E).</summary>
public sealed class CpuTensor : ITensor
{
    public CpuTensor(float[] data, int batch, Resolution shape)
    {
        if (data.Length != batch * shape.Elements)
        {
            throw new ArgumentException($"expected {batch}×{shape.Elements} floats, got {data.Length}", nameof(data));
        }

        Data = data;
        Batch = batch;
        Shape = shape;
    }

    public float[] Data { get; }

    public int Batch { get; }

    public Resolution Shape { get; }

    public Span<float> Sample(int index) => Data.AsSpan(index * Shape.Elements, Shape.Elements);

    public void Dispose()
    {
        // Managed memory: nothing to release early.
    }
}
