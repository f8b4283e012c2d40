using System.IO.Compression;
using OrleansFlow.Formats;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Statistics;
using OrleansFlow.Testing;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// Reference features on real libtorch (the digits evaluation network): streamed from <c>arr_0</c>
/// bit for bit as the whole read gives them, cached on disk by content, a second cache (another
/// process) reading the entry, and a changed reference or a damaged entry never served.
/// </summary>
public sealed class ReferenceFeatureCacheTests : IDisposable
{
    private static readonly Resolution Digit = new(1, 8, 8);
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Optimal)]
    public void Get_StreamedImages_EqualTheWholeReadFeaturesBitForBit(CompressionLevel compression)
    {
        // 700 images: batches of 256, 256 and 188, the last one partial.
        var all = NpzReader.Read(DigitsModels.ReferenceBatch)[ReferenceBatch.ImagesKey];
        var pixels = Enumerable.Range(0, 700).SelectMany(i => all.Data.AsSpan((i % all.Shape[0]) * 192, 192).ToArray()).ToArray();
        var path = _temp.Combine($"batch-{compression}.npz");
        using (var writer = new NpzWriter(path, compression))
        {
            writer.Write(ReferenceBatch.ImagesKey, pixels, 700, 8, 8, 3);
        }

        using var network = TorchFeatureExtractor.Load(DigitsModels.Evaluation, Digit);
        var features = new ReferenceFeatureCache(directory: null).Get(ReferenceBatch.Read(path), network, Digit);

        // The whole-read path: arr_0 in memory, x = u/127.5 - 1 of the first channel, the network in batches of 256.
        var whole = NpzReader.Read(path)[ReferenceBatch.ImagesKey].Data;
        var samples = new float[700 * 64];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (whole[i * 3] / 127.5f) - 1f;
        }

        var layout = ((IFeatureExtractor)network).Layout;
        var rows = new float[700 * layout.Width];
        for (var start = 0; start < 700; start += 256)
        {
            var count = Math.Min(256, 700 - start);
            network.ExtractAll(samples.AsSpan(start * 64, count * 64), count, rows.AsSpan(start * layout.Width, count * layout.Width));
        }

        for (var i = 0; i < 700; i++)
        {
            var row = rows.AsSpan(i * layout.Width, layout.Width);
            Assert.True(layout.PoolOf(row).SequenceEqual(features.Pool.Row(i)), $"image {i}: pooled features differ");
            Assert.True(layout.SpatialOf(row).SequenceEqual(features.Spatial!.Row(i)), $"image {i}: spatial features differ");
        }
    }

    [Fact]
    public void Get_SecondProcess_ReadsTheEntryInsteadOfComputing()
    {
        var reference = CopyReference("reference-batch.npz");
        var directory = _temp.Combine("cache");
        using var network = TorchFeatureExtractor.Load(DigitsModels.Evaluation, Digit);

        var first = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);
        var second = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);

        Assert.False(first.ReadFromCache);
        Assert.True(second.ReadFromCache);
        Assert.Equal(first.CacheFile, second.CacheFile);
        Assert.Single(Directory.GetFiles(directory));
        Assert.Equal(first.Pool.Values, second.Pool.Values);
        Assert.Equal(first.Spatial!.Values, second.Spatial!.Values);
        Assert.Equal(1797, second.Pool.Count);
    }

    [Fact]
    public void Get_ReferenceOrNetworkChanged_IsNotServedTheStaleEntry()
    {
        var reference = CopyReference("reference-batch.npz");
        var directory = _temp.Combine("cache");
        using var network = TorchFeatureExtractor.Load(DigitsModels.Evaluation, Digit);
        var before = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);

        // The same file name, one image changed (the first becomes the second).
        var arrays = NpzReader.Read(reference);
        var images = arrays[ReferenceBatch.ImagesKey].ToByteArray();
        images.AsSpan(192, 192).CopyTo(images);
        File.Delete(reference);
        using (var writer = new NpzWriter(reference))
        {
            writer.Write(ReferenceBatch.ImagesKey, images, 1797, 8, 8, 3);
        }

        var after = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);
        using var pooledOnly = TorchFeatureExtractor.Load(DigitsModels.Features, Digit);
        var otherNetwork = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), pooledOnly, Digit);

        Assert.False(after.ReadFromCache);
        Assert.NotEqual(before.CacheFile, after.CacheFile);
        Assert.True(after.Pool.Row(0).SequenceEqual(after.Pool.Row(1)));
        Assert.False(after.Pool.Row(0).SequenceEqual(before.Pool.Row(0)));
        Assert.True(after.Pool.Row(2).SequenceEqual(before.Pool.Row(2)));
        Assert.False(otherNetwork.ReadFromCache);
        Assert.Null(otherNetwork.Spatial);
        Assert.Equal(3, Directory.GetFiles(directory).Length);
    }

    [Fact]
    public void Get_TruncatedOrFlippedEntry_IsRecomputedAndReplaced()
    {
        var reference = CopyReference("reference-batch.npz");
        var directory = _temp.Combine("cache");
        using var network = TorchFeatureExtractor.Load(DigitsModels.Evaluation, Digit);
        var original = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);
        var entry = original.CacheFile!;

        var bytes = File.ReadAllBytes(entry);
        File.WriteAllBytes(entry, bytes[..(bytes.Length / 2)]);
        var afterTruncation = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);

        // One float of the pooled features changed, the zip otherwise intact: the CRC and sha256 catch it.
        var flipped = File.ReadAllBytes(entry);
        flipped[flipped.Length / 3] ^= 0x01;
        File.WriteAllBytes(entry, flipped);
        var afterFlip = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);
        var again = new ReferenceFeatureCache(directory).Get(ReferenceBatch.Read(reference), network, Digit);

        Assert.False(afterTruncation.ReadFromCache);
        Assert.False(afterFlip.ReadFromCache);
        Assert.Equal(original.Pool.Values, afterTruncation.Pool.Values);
        Assert.Equal(original.Pool.Values, afterFlip.Pool.Values);
        Assert.True(again.ReadFromCache);
        Assert.Equal(bytes, File.ReadAllBytes(entry));
        Assert.Single(Directory.GetFiles(directory));
    }

    [Fact]
    public void FidJob_TruncatedArr0_FailsInOneLineNamingReferenceFileAndArray()
    {
        var path = _temp.Combine("short.npz");
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var entry = archive.CreateEntry("arr_0.npy").Open();
            Npy.WriteHeader(entry, NpyDtype.UInt8, [1797, 8, 8, 3]);
            entry.Write(NpzReader.Read(DigitsModels.ReferenceBatch)[ReferenceBatch.ImagesKey].Data.AsSpan(0, 1000 * 192));
        }

        var spec = new JobSpec
        {
            Kind = JobKind.Fid,
            Model = DigitsModels.Package("digits-rf"),
            Sampler = Sampling.SamplerSpec.Parse("euler:steps=2"),
            Samples = 10,
            Features = DigitsModels.Evaluation,
            Reference = path,
        };

        var error = Assert.Throws<SpecException>(() => ResolvedJob.Create(spec));

        Assert.Equal("reference", error.Field);
        Assert.Contains($"'{path}': array 'arr_0' is truncated", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    private string CopyReference(string name)
    {
        var copy = _temp.Combine(name);
        File.Copy(DigitsModels.ReferenceBatch, copy);
        return copy;
    }
}
