using OrleansFlow.Formats;
using OrleansFlow.Statistics;

namespace OrleansFlow.Jobs;

/// <summary>
/// A reference as users have it: an ADM reference batch (<c>.npz</c> with <c>arr_0</c> N×H×W×3 uint8
/// images and/or <c>mu</c>, <c>sigma</c>, <c>mu_s</c>, <c>sigma_s</c>), pytorch-fid statistics
/// (<c>mu</c>, <c>sigma</c>), or a directory of PNG images. Given statistics are used as they are (as
/// the ADM evaluator does); images give the features KID and precision/recall need, and the
/// statistics the file lacks.
/// </summary>
public sealed class ReferenceBatch
{
    private ReferenceBatch(string path, GaussianStatistics? pool, GaussianStatistics? spatial, byte[]? images, int count, int height, int width, int channels)
    {
        Path = path;
        Pool = pool;
        Spatial = spatial;
        Images = images;
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

    /// <summary>HWC uint8 images, <see cref="Count"/> of them, when the file has them.</summary>
    public byte[]? Images { get; }

    public int Count { get; }

    public int Height { get; }

    public int Width { get; }

    public int Channels { get; }

    /// <summary>Reads a reference; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static ReferenceBatch Read(string path)
    {
        if (Directory.Exists(path))
        {
            return ReadPngDirectory(path);
        }

        var arrays = NpzReader.Read(path, ["arr_0", "mu", "sigma", "mu_s", "sigma_s"]);
        var pool = Statistics(arrays, "mu", "sigma", path);
        var spatial = Statistics(arrays, "mu_s", "sigma_s", path);
        if (!arrays.TryGetValue("arr_0", out var images))
        {
            return pool is null
                ? throw new InvalidDataException($"'{path}' has neither 'mu'/'sigma' statistics nor 'arr_0' images")
                : new ReferenceBatch(path, pool, spatial, null, 0, 0, 0, 0);
        }

        if (images.Dtype != NpyDtype.UInt8 || images.Shape is not [var count, var height, var width, var channels] || channels is not (1 or 3) || count < 1)
        {
            throw new InvalidDataException($"'{path}': 'arr_0' must be N×H×W×3 (or ×1) uint8 images, not {images.Dtype} {NpyDtype.FormatShape(images.Shape)}");
        }

        return new ReferenceBatch(path, pool, spatial, images.ToByteArray(), count, height, width, channels);
    }

    /// <summary>
    /// The images as samples of <paramref name="shape"/> in [-1,1] (x = u/127.5 − 1, which the
    /// quantiser maps back to u exactly): RGB for 3 channels, the first channel for 1.
    /// </summary>
    public float[] ToSamples(Ids.Resolution shape)
    {
        if (Images is null)
        {
            throw new InvalidOperationException($"'{Path}' holds no images.");
        }

        if (shape.Height != Height || shape.Width != Width || shape.Channels is not (1 or 3) || (shape.Channels == 3 && Channels != 3))
        {
            throw new SpecException("reference", $"'{Path}' has {Height}×{Width}×{Channels} images but the samples are {shape}: allowed the same height and width");
        }

        var samples = new float[(long)Count * shape.Elements];
        var pixels = Height * Width;
        for (var i = 0; i < Count; i++)
        {
            var image = Images.AsSpan(i * pixels * Channels, pixels * Channels);
            var sample = samples.AsSpan(i * shape.Elements, shape.Elements);
            for (var c = 0; c < shape.Channels; c++)
            {
                for (var p = 0; p < pixels; p++)
                {
                    sample[(c * pixels) + p] = (image[(p * Channels) + c] / 127.5f) - 1f;
                }
            }
        }

        return samples;
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

        var first = Png.Decode(File.ReadAllBytes(files[0]));
        var channels = first.Channels == 1 ? 1 : 3;
        var size = first.Width * first.Height * channels;
        var images = new byte[(long)files.Length * size];
        for (var i = 0; i < files.Length; i++)
        {
            var image = i == 0 ? first : Png.Decode(File.ReadAllBytes(files[i]));
            if (image.Width != first.Width || image.Height != first.Height || (image.Channels == 1) != (channels == 1))
            {
                throw new InvalidDataException($"'{files[i]}' is {image.Width}×{image.Height}×{image.Channels}, unlike {files[0]}: reference images must share one size");
            }

            for (var p = 0; p < image.Width * image.Height; p++)
            {
                for (var c = 0; c < channels; c++)
                {
                    images[(i * size) + (p * channels) + c] = image.Pixels[(p * image.Channels) + c];
                }
            }
        }

        return new ReferenceBatch(path, null, null, images, files.Length, first.Height, first.Width, channels);
    }
}
