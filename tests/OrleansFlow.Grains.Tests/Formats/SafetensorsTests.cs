using OrleansFlow.Testing;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansFlow.Formats;

namespace OrleansFlow.Grains.Tests.Formats;

public sealed class SafetensorsTests
{
    private static readonly float[] X0 = [0.5f, -1.25f, 3e-8f, float.MaxValue, -0f, 1f / 3f];
    private static readonly float[] X1 = [1f, 2f, 3f, 4f, 5f, 6f];
    private static readonly long[] Seeds = [0, long.MaxValue];
    private static readonly long[] Labels = [207, -1];

    [Fact]
    public void WriteRead_ReflowShard_RoundTripsTensorsAndMetadata()
    {
        var metadata = new Dictionary<string, string> { ["job"] = "j-1", ["shard"] = "3" };

        SafetensorsFile file = Safetensors.Read(WriteReflowShard(metadata));

        Assert.Equal(["x0", "x1", "seed", "label"], file.Tensors.Select(t => t.Name));
        Assert.Equal(X0, file.GetFloats("x0"));
        Assert.Equal(X1, file.GetFloats("x1"));
        Assert.Equal(Seeds, file.GetInt64s("seed"));
        Assert.Equal(Labels, file.GetInt64s("label"));
        Assert.Equal([2L, 3, 1, 1], file["x0"].Shape);
        Assert.Equal("I64", file["seed"].Dtype);
        Assert.Equal(metadata, file.Metadata);
    }

    [Fact]
    public void Read_Stream_EqualsReadOfBytes()
    {
        byte[] bytes = WriteReflowShard(metadata: null);

        SafetensorsFile file = Safetensors.Read(new MemoryStream(bytes));

        Assert.Equal(X0, file.GetFloats("x0"));
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Write_Header_IsSpacePaddedToMultipleOfEightWithBackToBackOffsets()
    {
        byte[] bytes = WriteReflowShard(metadata: null);

        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        using JsonDocument json = JsonDocument.Parse(header);

        Assert.Equal(0, headerLength % 8);
        Assert.Equal(header.TrimEnd(' ').Length, header.TrimEnd().Length); // only spaces pad
        Assert.Equal([0L, 24], Offsets(json, "x0"));
        Assert.Equal([24L, 48], Offsets(json, "x1"));
        Assert.Equal([48L, 64], Offsets(json, "seed"));
        Assert.Equal([64L, 80], Offsets(json, "label"));
        Assert.Equal(8 + headerLength + 80, bytes.Length);
    }

    [Fact]
    public void Write_DataShorterThanShape_Throws()
    {
        var tensor = new SafetensorsTensor("x0", "F32", [2, 2], new byte[12]);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Write(Stream.Null, [tensor], null));

        Assert.Equal("safetensors tensor 'x0' holds 12 bytes, but F32 [2, 2] needs 16.", error.Message);
    }

    [Fact]
    public void FromFloats_ShapeNotMatchingValues_Throws()
    {
        Assert.Throws<InvalidDataException>(() => SafetensorsTensor.FromFloats("x0", [1f, 2f, 3f], 2, 2));
    }

    [Fact]
    public void Write_DuplicateNames_Throws()
    {
        SafetensorsTensor seed = SafetensorsTensor.FromInt64s("seed", [1], 1);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Write(Stream.Null, [seed, seed], null));

        Assert.Contains("two tensors named 'seed'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuplicateNamesInHeader_Throws()
    {
        byte[] file = FileWithHeader(
            """{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""",
            dataLength: 2);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));

        Assert.Contains("two tensors named 'a'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OffsetsPastDataBuffer_Throws()
    {
        byte[] file = FileWithHeader("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", dataLength: 4);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));

        Assert.Contains("outside the 4-byte data buffer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OffsetsNotMatchingShape_Throws()
    {
        byte[] file = FileWithHeader("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", dataLength: 8);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));

        Assert.Contains("needs 12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GapBetweenTensors_Throws()
    {
        byte[] file = FileWithHeader(
            """{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}""",
            dataLength: 3);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));

        Assert.Contains("'b' starts at byte 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HeaderLengthOverLimit_Throws()
    {
        var file = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(file, Safetensors.MaxHeaderLength + 1UL);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));

        Assert.Contains("exceeds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownDtype_Throws()
    {
        byte[] file = FileWithHeader("""{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}""", dataLength: 1);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));

        Assert.Contains("unsupported dtype 'Q7'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NonStringMetadata_Throws()
    {
        byte[] file = FileWithHeader("""{"__metadata__":{"n":3}}""", dataLength: 0);

        Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));
    }

    [Fact]
    public void GetFloats_OfInt64Tensor_Throws()
    {
        SafetensorsFile file = Safetensors.Read(WriteReflowShard(metadata: null));

        var error = Assert.Throws<InvalidOperationException>(() => file.GetFloats("seed"));

        Assert.Equal("safetensors tensor 'seed' is I64, not F32.", error.Message);
    }

    [Fact]
    public void Indexer_MissingTensor_ThrowsNamingTheOthers()
    {
        SafetensorsFile file = Safetensors.Read(WriteReflowShard(metadata: null));

        var error = Assert.Throws<KeyNotFoundException>(() => file["z1"]);

        Assert.Contains("x0, x1, seed, label", error.Message, StringComparison.Ordinal);
        Assert.False(file.TryGetTensor("z1", out _));
    }

    [Fact]
    public async Task Write_ReadWithPythonJsonStructAndNumpy_ValuesAgree()
    {
        byte[] file = WriteReflowShard(new Dictionary<string, string> { ["job"] = "j-1" });

        string python = await DebianPython.RunWithInputAsync(
            """
            import json, struct, sys, numpy as np
            raw = sys.stdin.buffer.read()
            n, = struct.unpack('<Q', raw[:8])
            header = json.loads(raw[8:8 + n])
            data = raw[8 + n:]
            def load(name, dtype):
                info = header[name]
                begin, end = info['data_offsets']
                return np.frombuffer(data[begin:end], dtype=dtype).reshape(info['shape'])
            x0 = load('x0', '<f4')
            print(n % 8, header['__metadata__']['job'], x0.shape, header['x0']['dtype'])
            print(' '.join(repr(float(v)) for v in x0.ravel()))
            print(load('seed', '<i8').tolist(), load('label', '<i8').tolist())
            """,
            file);

        string[] lines = python.Trim().Split('\n');
        Assert.Equal("0 j-1 (2, 3, 1, 1) F32", lines[0]);
        Assert.Equal(X0, lines[1].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal($"[0, {long.MaxValue}] [207, -1]", lines[2]);
    }

    private static byte[] WriteReflowShard(IReadOnlyDictionary<string, string>? metadata)
    {
        SafetensorsTensor[] tensors =
        [
            SafetensorsTensor.FromFloats("x0", X0, 2, 3, 1, 1),
            SafetensorsTensor.FromFloats("x1", X1, 2, 3, 1, 1),
            SafetensorsTensor.FromInt64s("seed", Seeds, 2),
            SafetensorsTensor.FromInt64s("label", Labels, 2),
        ];
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static long[] Offsets(JsonDocument header, string name) =>
        header.RootElement.GetProperty(name).GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static byte[] FileWithHeader(string json, int dataLength)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var file = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }
}
