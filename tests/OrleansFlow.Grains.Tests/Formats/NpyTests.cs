using OrleansFlow.Formats;
using OrleansFlow.Grains.Tests.Statistics;

namespace OrleansFlow.Grains.Tests.Formats;

public sealed class NpyTests
{
    /// <summary>The (3, 4) float64 array tools/fid_golden.py saves: arange(12) / 8.</summary>
    private static readonly double[] Grid = Enumerable.Range(0, 12).Select(i => i / 8.0).ToArray();

    [Fact]
    public void Write_SameArrayAsNumpy_ByteIdenticalFile()
    {
        using var written = new MemoryStream();

        Npy.Write(written, NpyArray.FromDoubles(Grid, 3, 4));

        Assert.Equal(File.ReadAllBytes(GoldenFiles.PathOf("header_v1.npy")), written.ToArray());
    }

    [Theory]
    [InlineData("header_v1.npy")]
    [InlineData("header_v2.npy")]
    [InlineData("header_v3.npy")]
    public void Read_NumpyHeaderVersions_SameArray(string fileName)
    {
        using FileStream file = File.OpenRead(GoldenFiles.PathOf(fileName));

        NpyArray array = Npy.Read(file, "grid");

        Assert.Equal(NpyDtype.Float64, array.Dtype);
        Assert.Equal([3, 4], array.Shape);
        Assert.Equal(Grid, array.ToDoubleArray());
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 2, 0, 3 })]
    [InlineData(new[] { 123456, 1 })]
    public void WriteThenRead_AnyShape_DataStartsAlignedAndRoundTrips(int[] shape)
    {
        long count = NpyDtype.ElementCount(shape, "x");
        long[] values = Enumerable.Range(0, (int)count).Select(i => (long)i - 5).ToArray();
        using var stream = new MemoryStream();

        Npy.Write(stream, NpyArray.FromInt64s(values, shape));
        long headerLength = stream.Length - (count * 8);
        stream.Position = 0;
        NpyArray read = Npy.Read(stream, "x");

        Assert.Equal(0, headerLength % 64);
        Assert.Equal(shape, read.Shape);
        Assert.Equal(values, read.ToInt64Array());
    }

    [Fact]
    public void Read_BigEndianDtype_ThrowsNamingArrayAndDtype()
    {
        var error = ReadGoldenExpecting<NotSupportedException>("big_endian.npy", "weights");

        Assert.Contains("Array 'weights' has dtype '>f8'", error.Message);
    }

    [Fact]
    public void Read_ComplexDtype_ThrowsNamingArrayAndDtype()
    {
        var error = ReadGoldenExpecting<NotSupportedException>("complex128.npy", "z");

        Assert.Contains("Array 'z' has dtype '<c16'", error.Message);
    }

    [Fact]
    public void Read_FortranOrder_Throws()
    {
        var error = ReadGoldenExpecting<InvalidDataException>("fortran_order.npy", "grid");

        Assert.Contains("Array 'grid' is stored in Fortran (column-major) order", error.Message);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(40)]
    [InlineData(200)]
    public void Read_TruncatedFile_ThrowsTruncated(int keptBytes)
    {
        byte[] whole = File.ReadAllBytes(GoldenFiles.PathOf("header_v1.npy"));
        using var truncated = new MemoryStream(whole[..keptBytes]);

        var error = Assert.Throws<InvalidDataException>(() => Npy.Read(truncated, "grid"));

        Assert.Contains("Array 'grid' is truncated", error.Message);
    }

    [Fact]
    public void Read_NotNpy_ThrowsBadMagic()
    {
        using var text = new MemoryStream("hello, this is not numpy"u8.ToArray());

        var error = Assert.Throws<InvalidDataException>(() => Npy.Read(text, "x"));

        Assert.Contains("not in .npy format", error.Message);
    }

    [Fact]
    public void Conversions_WrongDtype_Throw()
    {
        NpyArray integers = NpyArray.FromInt64s([1, 2], 2);
        NpyArray singles = NpyArray.FromSingles([0.5f, -1.25f], 2);

        Assert.Throws<InvalidOperationException>(integers.ToDoubleArray);
        Assert.Throws<InvalidOperationException>(integers.ToByteArray);
        Assert.Throws<InvalidOperationException>(singles.ToInt64Array);
        Assert.Equal([0.5, -1.25], singles.ToDoubleArray());
    }

    private static TException ReadGoldenExpecting<TException>(string fileName, string arrayName)
        where TException : Exception
    {
        using FileStream file = File.OpenRead(GoldenFiles.PathOf(fileName));
        var error = Assert.Throws<TException>(() => Npy.Read(file, arrayName));
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }
}
