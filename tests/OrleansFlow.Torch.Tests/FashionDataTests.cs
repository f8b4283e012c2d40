using System.Buffers.Binary;
using System.IO.Compression;
using OrleansFlow.Testing;

namespace OrleansFlow.Torch.Tests;

/// <summary>
/// The Fashion-MNIST IDX reader of the training scripts (<c>tools/fashion_data.py</c>, run by Debian's
/// python3 as they run it) on IDX files written here: good ones (plain and gzip) and broken ones, which
/// must fail with one line that names the file.
/// </summary>
public sealed class FashionDataTests : IDisposable
{
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    private const string ReadScript = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import fashion_data
        magic = int(sys.argv[3], 16)
        shape = tuple(int(s) for s in sys.argv[4].split(","))
        try:
            a = fashion_data.read_idx(sys.argv[2], magic, shape)
        except fashion_data.FashionDataError as e:
            print("error: " + str(e))
        else:
            print("ok " + ",".join(str(s) for s in a.shape) + " " + str(int(a.astype("int64").sum())))
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("orleansflow-idx-").FullName;

    private static string Tools => Path.Combine(Path.GetDirectoryName(DigitsModels.Directory)!, "tools");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [NumpyTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadIdx_GoodImagesFile_ReturnsItsPixels(bool gzip)
    {
        var pixels = Enumerable.Range(0, 3 * 28 * 28).Select(i => (byte)(i * 7 % 256)).ToArray();
        var path = Write("images-idx3-ubyte", Idx(ImagesMagic, [3, 28, 28], pixels), gzip);

        var output = await Read(path, ImagesMagic, "3,28,28");

        Assert.Equal($"ok 3,28,28 {pixels.Sum(b => (long)b)}", output);
    }

    [NumpyFact]
    public async Task ReadIdx_GoodLabelsFile_ReturnsItsLabels()
    {
        var path = Write("labels-idx1-ubyte", Idx(LabelsMagic, [5], [0, 1, 9, 3, 4]), gzip: true);

        Assert.Equal("ok 5 17", await Read(path, LabelsMagic, "5"));
    }

    [NumpyTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadIdx_TruncatedFile_FailsInOneLineNamingTheFile(bool gzip)
    {
        var whole = Idx(ImagesMagic, [3, 28, 28], new byte[3 * 28 * 28]);
        var path = Write("truncated-idx3-ubyte", whole[..(whole.Length - 100)], gzip);

        var output = await Read(path, ImagesMagic, "3,28,28");

        Assert.Equal($"error: {path}: {whole.Length - 100} bytes, expected {whole.Length} for dimensions (3, 28, 28)", output);
    }

    [NumpyFact]
    public async Task ReadIdx_FileShorterThanItsHeader_FailsInOneLineNamingTheFile()
    {
        var path = Write("short-idx3-ubyte", [0, 0, 8, 3, 0, 0], gzip: false);

        Assert.Equal($"error: {path}: 6 bytes, shorter than the 16-byte IDX header", await Read(path, ImagesMagic, "3,28,28"));
    }

    [NumpyFact]
    public async Task ReadIdx_LabelsFileWhereImagesBelong_FailsOnTheMagicNumber()
    {
        var path = Write("swapped-idx3-ubyte", Idx(LabelsMagic, [5], [0, 1, 2, 3, 4]), gzip: false);

        Assert.Equal($"error: {path}: magic number 0x00000801, expected 0x00000803", await Read(path, ImagesMagic, "3,28,28"));
    }

    [NumpyFact]
    public async Task ReadIdx_OtherImageCount_FailsOnTheDimensions()
    {
        var path = Write("fewer-idx3-ubyte", Idx(ImagesMagic, [2, 28, 28], new byte[2 * 28 * 28]), gzip: false);

        Assert.Equal($"error: {path}: dimensions (2, 28, 28), expected (3, 28, 28)", await Read(path, ImagesMagic, "3,28,28"));
    }

    [NumpyFact]
    public async Task FashionData_BrokenFileInDirectory_ExitsWithOneLineNamingIt()
    {
        // The script's own entry point on a data directory whose training images are cut short.
        var path = Write("train-images-idx3-ubyte", Idx(ImagesMagic, [60000, 28, 28], new byte[1000 - 16]), gzip: true);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DebianPython.RunAsync($"import runpy, sys; sys.argv = ['fashion_data.py', sys.argv[1]]; runpy.run_path('{Tools}/fashion_data.py', run_name='__main__')", _directory));

        var lines = error.Message.Split(':', 2)[1].Trim().Split('\n');
        Assert.Single(lines);
        Assert.Equal($"fashion_data: {path}: 1000 bytes, expected {16 + (60000 * 28 * 28)} for dimensions (60000, 28, 28)", lines[0]);
    }

    private static byte[] Idx(int magic, int[] dimensions, byte[] data)
    {
        var bytes = new byte[4 + (4 * dimensions.Length) + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dimensions[i]);
        }

        data.CopyTo(bytes, 4 + (4 * dimensions.Length));
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip)
    {
        var path = Path.Combine(_directory, gzip ? name + ".gz" : name);
        using var file = File.Create(path);
        if (gzip)
        {
            using var compressed = new GZipStream(file, CompressionLevel.Fastest);
            compressed.Write(bytes);
        }
        else
        {
            file.Write(bytes);
        }

        return path;
    }

    private static async Task<string> Read(string path, int magic, string shape) =>
        (await DebianPython.RunAsync(ReadScript, Tools, path, magic.ToString("x", System.Globalization.CultureInfo.InvariantCulture), shape)).Trim();
}
