using System.IO.Compression;
using System.Text.RegularExpressions;
using OrleansFlow.Formats;
using OrleansFlow.Jobs;
using OrleansFlow.Testing;

namespace OrleansFlow.Grains.Tests.Formats;

/// <summary>
/// <see cref="NpzArrayReader"/>: an ADM reference batch's <c>arr_0</c> read in row batches gives the
/// bytes of the whole read, for stored and deflated members, and damage is one line naming file and array.
/// </summary>
public sealed class NpzArrayReaderTests : IDisposable
{
    private const int Images = 700;
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Optimal)]
    public void ReadRows_StoredOrDeflated_GivesTheWholeReadsBytesInBatches(CompressionLevel compression)
    {
        var pixels = RandomImages(Images, seed: 5);
        var path = WriteBatch(pixels, compression);

        var whole = NpzReader.Read(path)[ReferenceBatch.ImagesKey].Data;
        using var reader = NpzArrayReader.TryOpen(path, ReferenceBatch.ImagesKey)!;
        var streamed = new List<byte>();
        var batches = 0;
        var buffer = new byte[97 * 8 * 8 * 3];
        int rows;
        while ((rows = reader.ReadRows(buffer)) > 0)
        {
            streamed.AddRange(buffer.AsSpan(0, rows * 8 * 8 * 3).ToArray());
            batches++;
        }

        Assert.Equal([Images, 8, 8, 3], reader.Shape);
        Assert.Equal(pixels, whole);
        Assert.Equal(whole, streamed.ToArray());
        Assert.Equal((Images + 96) / 97, batches);
    }

    [Fact]
    public void ReferenceBatch_SampleBatches_EqualTheSamplesOfTheWholeArray()
    {
        var pixels = RandomImages(Images, seed: 6);
        var path = WriteBatch(pixels, CompressionLevel.Optimal);
        var shape = new Ids.Resolution(3, 8, 8);

        var batch = ReferenceBatch.Read(path);
        var streamed = batch.ToSamples(shape);
        var whole = NpzReader.Read(path)[ReferenceBatch.ImagesKey].Data;

        Assert.Equal(Images, batch.Count);
        for (var i = 0; i < Images; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                for (var p = 0; p < 64; p++)
                {
                    Assert.Equal((whole[(i * 192) + (p * 3) + c] / 127.5f) - 1f, streamed[(i * 192) + (c * 64) + p]);
                }
            }
        }
    }

    [Fact]
    public void ReadRows_ArrayShorterThanItsHeader_FailsNamingFileAndArray()
    {
        // A zip that is whole, holding an arr_0 whose data stops 10 images short of its header's 700.
        var path = _temp.Combine("short.npz");
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var entry = archive.CreateEntry("arr_0.npy", CompressionLevel.Optimal).Open();
            Npy.WriteHeader(entry, NpyDtype.UInt8, [Images, 8, 8, 3]);
            entry.Write(RandomImages(Images - 10, seed: 7));
        }

        var batch = ReferenceBatch.Read(path);
        var error = Assert.Throws<InvalidDataException>(() => batch.ToSamples(new Ids.Resolution(3, 8, 8)));

        Assert.Contains($"'{path}': array 'arr_0' is truncated", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Optimal)]
    public void ReadRows_DamagedMember_FailsNamingFileAndArray(CompressionLevel compression)
    {
        var path = WriteBatch(RandomImages(Images, seed: 8), compression);
        var bytes = File.ReadAllBytes(path);
        // arr_0 is the first member: its data fills the file's first part.
        for (var i = bytes.Length / 4; i < bytes.Length / 4 + 64; i++)
        {
            bytes[i] ^= 0x5A;
        }

        File.WriteAllBytes(path, bytes);

        var batch = ReferenceBatch.Read(path);
        var error = Assert.Throws<InvalidDataException>(() => batch.ToSamples(new Ids.Resolution(3, 8, 8)));

        // Stored: the CRC-32 differs; deflated: the inflater fails or stops early.
        Assert.Matches($"^'{Regex.Escape(path)}': array 'arr_0' is (corrupt|truncated)", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    private string WriteBatch(byte[] pixels, CompressionLevel compression)
    {
        var path = _temp.Combine($"batch-{compression}.npz");
        using var writer = new NpzWriter(path, compression);
        writer.Write(ReferenceBatch.ImagesKey, pixels, pixels.Length / 192, 8, 8, 3);
        return path;
    }

    /// <summary>Smooth-ish images (so deflate has something to compress) with noise.</summary>
    private static byte[] RandomImages(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 192];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)((i % 192) + random.Next(8));
        }

        return pixels;
    }
}
