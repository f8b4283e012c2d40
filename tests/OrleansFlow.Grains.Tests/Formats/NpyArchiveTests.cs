using OrleansFlow.Testing;
using System.IO.Compression;
using System.Text.Json;
using OrleansFlow.Formats;
using OrleansFlow.Grains.Tests.Statistics;

namespace OrleansFlow.Grains.Tests.Formats;

/// <summary>.npz archives: <see cref="NpzWriter"/> and <see cref="NpzReader"/> against each other and against numpy.</summary>
public sealed class NpyArchiveTests : IDisposable
{
    /// <summary>
    /// Loads an .npz with numpy and prints, per array, dtype, shape, values, the zip compression
    /// method and whether the member is byte-identical to what np.save writes for that array.
    /// </summary>
    private const string NumpyDescribeScript = """
        import io, json, sys, zipfile
        import numpy as np
        path = sys.argv[1]
        members = {i.filename: i for i in zipfile.ZipFile(path).infolist()}
        out = {}
        with np.load(path) as npz:
            for key in npz.files:
                a = npz[key]
                buf = io.BytesIO()
                np.save(buf, a)
                raw = zipfile.ZipFile(path).read(key + '.npy')
                out[key] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'values': a.ravel().tolist(),
                            'compress_type': members[key + '.npy'].compress_type,
                            'same_as_np_save': raw == buf.getvalue()}
        print(json.dumps(out))
        """;

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void WriteThenRead_AllDtypes_RoundTrip()
    {
        string path = _directory.Combine("all.npz");
        using (var writer = new NpzWriter(path))
        {
            writer.Write("f8", [1.5, -2.25, double.MaxValue, double.Epsilon, 0, 1e-300], 2, 3);
            writer.Write("f4", [1.5f, float.MinValue], 2);
            writer.Write("i8", [long.MinValue], []);
            writer.Write("u1", [0, 1, 254, 255], 2, 2);
        }

        IReadOnlyDictionary<string, NpyArray> arrays = NpzReader.Read(path);

        Assert.Equal(["f4", "f8", "i8", "u1"], arrays.Keys.Order());
        Assert.Equal([1.5, -2.25, double.MaxValue, double.Epsilon, 0, 1e-300], arrays["f8"].ToDoubleArray());
        Assert.Equal([2, 3], arrays["f8"].Shape);
        Assert.Equal([1.5f, float.MinValue], arrays["f4"].ToSingleArray());
        Assert.Equal([long.MinValue], arrays["i8"].ToInt64Array());
        Assert.Empty(arrays["i8"].Shape);
        Assert.Equal([0, 1, 254, 255], arrays["u1"].ToByteArray());
    }

    [Fact]
    public void Read_NumpySavez_ReadsAllArrays()
    {
        IReadOnlyDictionary<string, NpyArray> arrays = GoldenFiles.ReadNpz("fid_dim2.npz");

        Assert.Equal(["eps_retried", "fid", "mu1", "mu2", "sigma1", "sigma2"], arrays.Keys.Order());
        Assert.Equal([2, 2], arrays["sigma1"].Shape);
        Assert.Empty(arrays["fid"].Shape);
    }

    [Fact]
    public void Read_NumpySavezCompressed_ReadsEveryDtype()
    {
        IReadOnlyDictionary<string, NpyArray> arrays = GoldenFiles.ReadNpz("compressed.npz");

        Assert.Equal(Enumerable.Range(-3, 12).Select(i => (long)i), arrays["counts"].ToInt64Array());
        Assert.Equal([3, 4], arrays["counts"].Shape);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i / 2f), arrays["halves"].ToSingleArray());
        Assert.Equal(Enumerable.Range(0, 72).Select(i => (byte)i), arrays["arr_0"].ToByteArray());
        Assert.Equal([2, 3, 4, 3], arrays["arr_0"].Shape);
    }

    [Fact]
    public void Read_SelectedKeys_ReadsOnlyThose()
    {
        IReadOnlyDictionary<string, NpyArray> arrays = NpzReader.Read(GoldenFiles.PathOf("compressed.npz"), ["mu", "absent"]);

        Assert.Equal(["mu"], arrays.Keys);
    }

    [Fact]
    public void BeginArray_ImagesAppendedShardByShard_ReadBackAsOneArray()
    {
        string path = _directory.Combine("samples.npz");
        byte[] images = Enumerable.Range(0, 10 * 2 * 2 * 3).Select(i => (byte)(i * 7)).ToArray();
        using (var writer = new NpzWriter(path))
        using (Stream arr0 = writer.BeginArray("arr_0", NpyDtype.UInt8, [10, 2, 2, 3]))
        {
            foreach (byte[] shard in images.Chunk(4 * 2 * 2 * 3))
            {
                arr0.Write(shard);
            }
        }

        NpyArray read = NpzReader.Read(path)["arr_0"];

        Assert.Equal([10, 2, 2, 3], read.Shape);
        Assert.Equal(images, read.ToByteArray());
    }

    [Fact]
    public void BeginArray_FewerBytesThanShape_ThrowsOnDispose()
    {
        using var writer = new NpzWriter(_directory.Combine("short.npz"));
        Stream data = writer.BeginArray("arr_0", NpyDtype.UInt8, [2, 3]);
        data.Write(new byte[5]);

        var error = Assert.Throws<InvalidDataException>(data.Dispose);

        Assert.Contains("Array 'arr_0' was finished after 5 of its 6 data bytes", error.Message);
    }

    [Fact]
    public void BeginArray_MoreBytesThanShape_ThrowsAtOnce()
    {
        using var writer = new NpzWriter(_directory.Combine("long.npz"));
        using Stream data = writer.BeginArray("x", NpyDtype.Float64, [1]);

        var error = Assert.Throws<InvalidOperationException>(() => data.Write(new byte[9]));

        Assert.Contains("would overrun its shape", error.Message);
        data.Write(new byte[8]);
    }

    [Fact]
    public void BeginArray_WhileAnotherIsOpen_Throws()
    {
        using var writer = new NpzWriter(_directory.Combine("two.npz"));
        using Stream first = writer.BeginArray("a", NpyDtype.UInt8, [0]);

        var error = Assert.Throws<InvalidOperationException>(() => writer.BeginArray("b", NpyDtype.UInt8, [0]));

        Assert.Contains("Array 'a' is still being written", error.Message);
    }

    [Fact]
    public void Write_DuplicateName_Throws()
    {
        using var writer = new NpzWriter(_directory.Combine("dup.npz"));
        writer.Write("mu", [1.0], 1);

        var error = Assert.Throws<ArgumentException>(() => writer.Write("mu", [2.0], 1));

        Assert.Contains("'mu' was already written", error.Message);
    }

    [Fact]
    public void Write_DataNotMatchingShape_Throws()
    {
        using var writer = new NpzWriter(_directory.Combine("shape.npz"));

        var error = Assert.Throws<ArgumentException>(() => writer.Write("sigma", [1.0, 2.0, 3.0], 2, 2));

        Assert.Contains("shape (2, 2) holds 4 elements but 3 were given", error.Message);
    }

    [Fact]
    public void Write_SameArraysTwice_ByteIdenticalFiles()
    {
        byte[] first = WriteToBytes();
        Thread.Sleep(TimeSpan.FromSeconds(2.1));
        byte[] second = WriteToBytes();

        Assert.Equal(first, second);

        static byte[] WriteToBytes()
        {
            using var stream = new MemoryStream();
            using (var writer = new NpzWriter(stream, leaveOpen: true))
            {
                writer.Write("mu", [1.0, 2.0], 2);
            }

            return stream.ToArray();
        }
    }

    [Fact]
    public void Read_NotAZip_ThrowsNamingFile()
    {
        string path = _directory.Combine("not.npz");
        File.WriteAllText(path, "mu,sigma\n1,2\n");

        var error = Assert.Throws<InvalidDataException>(() => NpzReader.Read(path));

        Assert.StartsWith($"'{path}' is not an .npz file", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Read_TruncatedNpz_ThrowsNamingFile()
    {
        string path = _directory.Combine("truncated.npz");
        byte[] whole = File.ReadAllBytes(GoldenFiles.PathOf("fid_dim16.npz"));
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);

        var error = Assert.Throws<InvalidDataException>(() => NpzReader.Read(path));

        Assert.Contains(path, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Read_MemberWithUnsupportedDtype_ThrowsNamingFileArrayAndDtype()
    {
        string path = _directory.Combine("big_endian.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(GoldenFiles.PathOf("big_endian.npy"), "weights.npy");
        }

        var error = Assert.Throws<InvalidDataException>(() => NpzReader.Read(path));

        Assert.Equal($"'{path}': Array 'weights' has dtype '>f8'; only <f8, <f4, <i8 and |u1 (little-endian) are supported.", error.Message);
    }

    [NumpyTheory]
    [InlineData(CompressionLevel.NoCompression, 0)]
    [InlineData(CompressionLevel.Optimal, 8)]
    public async Task NumpyLoad_FileWrittenByNpzWriter_ReadsSameArrays(CompressionLevel compression, int zipMethod)
    {
        string path = _directory.Combine("for_numpy.npz");
        using (var writer = new NpzWriter(path, compression))
        {
            writer.Write("mu", [0.1, -2.5, 1e300], 3);
            writer.Write("sigma", [1.0, 0.5, 0.5, 2.0], 2, 2);
            writer.Write("halves", [0.5f, 1.5f], 2);
            writer.Write("n", [50_000L], []);
            using Stream arr0 = writer.BeginArray("arr_0", NpyDtype.UInt8, [3, 1, 2, 3]);
            arr0.Write([0, 1, 2, 3, 4, 5, 6, 7, 8]);
            arr0.Write([9, 10, 11, 12, 13, 14, 15, 16, 255]);
        }

        using JsonDocument described = JsonDocument.Parse(await DebianPython.RunAsync(NumpyDescribeScript, path));
        JsonElement arrays = described.RootElement;

        Assert.Equal(5, arrays.EnumerateObject().Count());
        AssertArray(arrays, "mu", "<f8", [3], "[0.1, -2.5, 1e+300]");
        AssertArray(arrays, "sigma", "<f8", [2, 2], "[1.0, 0.5, 0.5, 2.0]");
        AssertArray(arrays, "halves", "<f4", [2], "[0.5, 1.5]");
        AssertArray(arrays, "n", "<i8", [], "[50000]");
        AssertArray(arrays, "arr_0", "|u1", [3, 1, 2, 3], "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 255]");
        foreach (JsonProperty array in arrays.EnumerateObject())
        {
            Assert.Equal(zipMethod, array.Value.GetProperty("compress_type").GetInt32());
            Assert.True(array.Value.GetProperty("same_as_np_save").GetBoolean(), $"'{array.Name}' differs from np.save's bytes");
        }
    }

    private static void AssertArray(JsonElement arrays, string name, string dtype, int[] shape, string values)
    {
        JsonElement array = arrays.GetProperty(name);
        Assert.Equal(dtype, array.GetProperty("dtype").GetString());
        Assert.Equal(shape, array.GetProperty("shape").EnumerateArray().Select(extent => extent.GetInt32()));
        Assert.Equal(values, array.GetProperty("values").GetRawText());
    }
}
