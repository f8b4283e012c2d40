using OrleansFlow.Models;
using OrleansFlow.Sampling;
using OrleansFlow.Tensors;

namespace OrleansFlow.Serving;

/// <summary>
/// Whether a model's output rows depend only on their own input rows, bit for bit, whatever the batch
/// size and the row's position in the batch. Only then may requests share a model run without changing
/// any sample (DESIGN.md "Serving batches without changing results"). The managed backend is; libtorch
/// on OpenBLAS is not (its GEMM kernels round a row differently by batch size and position, so Linear
/// layers differ in the last bit), libtorch on Debian's reference BLAS was (docs/benchmarks.md).
/// The probe evaluates predictor, refiner and decoder on a batch of rows and on sub-batches of the
/// same rows at other positions and sizes, and compares the bits.
/// </summary>
public static class RowLayoutProbe
{
    private const int Rows = 24;

    public static bool RowsIndependentOfLayout(IFlowModel model)
    {
        var shape = model.Info.Shape;
        var (noise, labels) = new BatchGenerator(model, SamplerFactory.Create(SamplerSpec.Parse("euler:steps=1")), ProbeLabels(model), seed: 0x5EED, guidance: 1)
            .Inputs(0, Rows);
        var backend = model.Backend;
        using var x = backend.Upload(noise, Rows, shape);
        // (start, count): rows moved to other positions, in smaller and odd-sized batches, and alone.
        (int Start, int Count)[] parts = [(0, 1), (5, 1), (3, 7), (11, 13), (1, 16)];
        foreach (var t in new[] { 0.0, 0.37 })
        {
            var rows = new Dictionary<string, (float[] Whole, int Elements)>();
            using (var v = model.Velocity(x, t, labels))
            {
                rows["predictor"] = (Download(backend, v, Rows, shape.Elements), shape.Elements);
            }

            if (model.Refiner is { } refiner)
            {
                using var r = refiner.Refine(x, t, x, labels);
                rows["refiner"] = (Download(backend, r, Rows, shape.Elements), shape.Elements);
            }

            if (model.Decoder is { } decoder)
            {
                using var d = decoder.Decode(x);
                rows["decoder"] = (Download(backend, d, Rows, decoder.OutputShape.Elements), decoder.OutputShape.Elements);
            }

            foreach (var (start, count) in parts)
            {
                using var part = backend.Upload(noise.AsSpan(start * shape.Elements, count * shape.Elements), count, shape);
                var partLabels = labels.Length == 0 ? labels : labels.AsSpan(start, count).ToArray();
                foreach (var (role, (whole, elements)) in rows)
                {
                    using var output = role switch
                    {
                        "predictor" => model.Velocity(part, t, partLabels),
                        "refiner" => model.Refiner!.Refine(part, t, part, partLabels),
                        _ => model.Decoder!.Decode(part),
                    };
                    if (!Download(backend, output, count, elements).AsSpan().SequenceEqual(whole.AsSpan(start * elements, count * elements)))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    private static LabelPolicy ProbeLabels(IFlowModel model) =>
        model.Info.IsConditional
            ? new LabelPolicy(LabelMode.Random, 0, model.Info.ClassCount, model.Info.NullClass)
            : new LabelPolicy(LabelMode.None, 0, 0, 0);

    private static float[] Download(ITensorBackend backend, ITensor tensor, int rows, int elements)
    {
        var host = new float[rows * elements];
        backend.Download(tensor, host);
        return host;
    }
}
