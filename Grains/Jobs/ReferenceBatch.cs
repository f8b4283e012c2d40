using OrleansFlow.Formats;
using OrleansFlow.Statistics;

namespace OrleansFlow.Jobs;

/// <summary>
/// A reference as users have it: an ADM reference batch (<c>.npz</c> with <c>arr_0</c> N×H×W×3 uint8
/// images and/or <c>mu</c>, <c>sigma</c>, <c>mu_s</c>, <c>sigma_s</c>), pytorch-fid statistics
/// (<c>mu</c>, <c>sigma</c>), or a directory of PNG images. Given statistics are used as they are (as
/// the ADM evaluator does); images give the features KID and precision/recall need, and the
/// statistics the file lacks. Reading it reads the statistics and the images' shape only; the images
/// are streamed in batches by <see cref="SampleBatches"/>, so memory does not grow with their count.
/// </summary>
public sealed class ReferenceBatch
{
    /// <summary>The ADM evaluator's name for the images of a reference batch.</summary>
    public const string ImagesKey = "arr_0";

    /// <summary>Image bytes per streamed batch (at most <see cref="MaxBatchImages"/> images): bounds memory for 256×256 references.</summary>
    private const long BatchBytes = 16L << 20;

    private const int MaxBatchImages = 256;

    private readonly string[]? _pngFiles;

    private ReferenceBatch(string path, GaussianStatistics? pool, GaussianStatistics? spatial, string[]? pngFiles, int count, int height, int width, int channels)
    {
        Path = path;
        Pool = pool;
        Spatial = spatial;
        _pngFiles = pngFiles;
        Count = count;
        Height = height;
        Width = width;
        Channels = channels;
    }

    public string Path { get; }

    /// <summary><c>mu</c>, <c>sigma</c> when the file has them.</summary>
    public GaussianStatistics? Pool { get; }

    /// <summary><c>mu_s</c>, <c>sigma_s</c> (sFID) when the file has them.</summary>
    public GaussianStatistics? Spatial { get; }

    /// <summary>Whether the reference has images (<c>arr_0</c> or PNG files); <see cref="Count"/> of them.</summary>
    public bool HasImages => Count > 0;

    public int Count { get; }

    public int Height { get; }

    public int Width { get; }

    public int Channels { get; }

    /// <summary>Reads a reference's statistics and the shape of its images; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static ReferenceBatch Read(string path)
    {
        if (Directory.Exists(path))
        {
            return ReadPngDirectory(path);
        }

        var arrays = NpzReader.Read(path, ["mu", "sigma", "mu_s", "sigma_s"]);
        var pool = Statistics(arrays, "mu", "sigma", path);
        var spatial = Statistics(arrays, "mu_s", "sigma_s", path);
        using var images = NpzArrayReader.TryOpen(path, ImagesKey);
        if (images is null)
        {
            return pool is null
                ? throw new InvalidDataException($"'{path}' has neither 'mu'/'sigma' statistics nor '{ImagesKey}' images")
                : new ReferenceBatch(path, pool, spatial, null, 0, 0, 0, 0);
        }

        if (images.Dtype != NpyDtype.UInt8 || images.Shape is not [var count, var height, var width, var channels] || channels is not (1 or 3) || count < 1)
        {
            throw new InvalidDataException($"'{path}': '{ImagesKey}' must be N×H×W×3 (or ×1) uint8 images, not {images.Dtype} {NpyDtype.FormatShape(images.Shape)}");
        }

        return new ReferenceBatch(path, pool, spatial, null, count, height, width, channels);
    }

    /// <summary>
    /// The images as samples of <paramref name="shape"/> in [-1,1] (x = u/127.5 − 1, which the
    /// quantiser maps back to u exactly; RGB for 3 channels, the first channel for 1), in order, a batch
    /// at a time. A batch's <see cref="ReferenceSampleBatch.Samples"/> is valid until the next one is
    /// requested (one buffer is reused).
    /// </summary>
    /// <exception cref="SpecException">The images' size differs from the samples'; names <c>reference</c>.</exception>
    /// <exception cref="InvalidDataException">The images end early or are damaged; names the file and the array.</exception>
    public IEnumerable<ReferenceSampleBatch> SampleBatches(Ids.Resolution shape)
    {
        CheckShape(shape);
        var imageBytes = Height * Width * Channels;
        var batch = (int)Math.Clamp(BatchBytes / imageBytes, 1, MaxBatchImages);
        return Stream(shape, batch, imageBytes);
    }

    /// <summary>Every image as samples (see <see cref="SampleBatches"/>) in one array: for small references and tests.</summary>
    public float[] ToSamples(Ids.Resolution shape)
    {
        var samples = new float[checked((long)Count * shape.Elements)];
        foreach (var batch in SampleBatches(shape))
        {
            batch.Samples.Span.CopyTo(samples.AsSpan(batch.Start * shape.Elements));
        }

        return samples;
    }

    /// <summary>Every image, HWC uint8, in one array: for small references and tests.</summary>
    public byte[] ReadAllImages()
    {
        RequireImages();
        var images = new byte[checked((long)Count * Height * Width * Channels)];
        var read = 0;
        foreach (var count in ReadImages(images, images.Length))
        {
            read += count;
        }

        return read == Count ? images : throw new InvalidDataException($"'{Path}': {read} of {Count} images read");
    }

    private IEnumerable<ReferenceSampleBatch> Stream(Ids.Resolution shape, int batch, int imageBytes)
    {
        var images = new byte[batch * imageBytes];
        var samples = new float[batch * shape.Elements];
        var start = 0;
        foreach (var count in ReadImages(images, images.Length))
        {
            for (var i = 0; i < count; i++)
            {
                ToSample(images.AsSpan(i * imageBytes, imageBytes), samples.AsSpan(i * shape.Elements, shape.Elements), shape.Channels);
            }

            yield return new ReferenceSampleBatch(start, count, samples.AsMemory(0, count * shape.Elements));
            start += count;
        }

        if (start != Count)
        {
            throw new InvalidDataException($"'{Path}': '{ImagesKey}' gave {start} of its {Count} images");
        }
    }

    /// <summary>Fills the first <paramref name="capacity"/> bytes of <paramref name="images"/> again and again, yielding how many images each time.</summary>
    private IEnumerable<int> ReadImages(byte[] images, int capacity)
    {
        RequireImages();
        if (_pngFiles is not null)
        {
            var size = Height * Width * Channels;
            var per = capacity / size;
            for (var start = 0; start < _pngFiles.Length; start += per)
            {
                var count = Math.Min(per, _pngFiles.Length - start);
                for (var i = 0; i < count; i++)
                {
                    DecodePng(_pngFiles[start + i], images.AsSpan(i * size, size));
                }

                yield return count;
            }

            yield break;
        }

        using var reader = NpzArrayReader.TryOpen(Path, ImagesKey) ?? throw new InvalidDataException($"'{Path}' no longer has '{ImagesKey}'");
        if (reader.Rows != Count || reader.RowBytes != Height * Width * Channels)
        {
            throw new InvalidDataException($"'{Path}': '{ImagesKey}' changed while it was read (now {NpyDtype.FormatShape(reader.Shape)})");
        }

        int rows;
        while ((rows = reader.ReadRows(images.AsSpan(0, capacity))) > 0)
        {
            yield return rows;
        }
    }

    private void ToSample(ReadOnlySpan<byte> image, Span<float> sample, int channels)
    {
        var pixels = Height * Width;
        for (var c = 0; c < channels; c++)
        {
            for (var p = 0; p < pixels; p++)
            {
                sample[(c * pixels) + p] = (image[(p * Channels) + c] / 127.5f) - 1f;
            }
        }
    }

    private void CheckShape(Ids.Resolution shape)
    {
        RequireImages();
        if (shape.Height != Height || shape.Width != Width || shape.Channels is not (1 or 3) || (shape.Channels == 3 && Channels != 3))
        {
            throw new SpecException("reference", $"'{Path}' has {Height}×{Width}×{Channels} images but the samples are {shape}: allowed the same height and width");
        }
    }

    private void RequireImages()
    {
        if (!HasImages)
        {
            throw new InvalidOperationException($"'{Path}' holds no images.");
        }
    }

    private void DecodePng(string file, Span<byte> image)
    {
        var png = Png.Decode(File.ReadAllBytes(file));
        if (png.Width != Width || png.Height != Height || (png.Channels == 1) != (Channels == 1))
        {
            throw new InvalidDataException($"'{file}' is {png.Width}×{png.Height}×{png.Channels}, unlike {_pngFiles![0]}: reference images must share one size");
        }

        for (var p = 0; p < Width * Height; p++)
        {
            for (var c = 0; c < Channels; c++)
            {
                image[(p * Channels) + c] = png.Pixels[(p * png.Channels) + c];
            }
        }
    }

    private static GaussianStatistics? Statistics(IReadOnlyDictionary<string, NpyArray> arrays, string muKey, string sigmaKey, string path)
    {
        if (!arrays.TryGetValue(muKey, out var mu) || !arrays.TryGetValue(sigmaKey, out var sigma))
        {
            return null;
        }

        if (mu.Shape is not [var dimension] || sigma.Shape is not [var rows, var columns] || rows != dimension || columns != dimension)
        {
            throw new InvalidDataException(
                $"'{path}': '{muKey}' {NpyDtype.FormatShape(mu.Shape)} and '{sigmaKey}' {NpyDtype.FormatShape(sigma.Shape)} must be (D,) and (D, D)");
        }

        return new GaussianStatistics(mu.ToDoubleArray(), sigma.ToDoubleArray());
    }

    private static ReferenceBatch ReadPngDirectory(string path)
    {
        var files = Directory.GetFiles(path, "*.png").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new InvalidDataException($"'{path}' is a directory without .png images");
        }

        // The first image fixes the size; the others are checked as they are streamed.
        var first = Png.Decode(File.ReadAllBytes(files[0]));
        var channels = first.Channels == 1 ? 1 : 3;
        return new ReferenceBatch(path, null, null, files, files.Length, first.Height, first.Width, channels);
    }
}
