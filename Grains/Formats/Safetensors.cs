using System.Buffers.Binary;
using System.Text.Json;

namespace OrleansFlow.Formats;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets into the data buffer that
/// follows) plus an optional <c>"__metadata__"</c> string map, then the tensors' little-endian
/// bytes, back to back. Invalid tensors or files throw <see cref="InvalidDataException"/> with a
/// one-line message.
/// </summary>
public static class Safetensors
{
    /// <summary>The reference implementation refuses larger headers (MAX_HEADER_SIZE), and so do we.</summary>
    public const int MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const int HeaderAlignment = 8;

    /// <summary>Writes the tensors in the given order, with the optional metadata map.</summary>
    public static void Write(
        Stream stream, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        Validate(tensors);
        byte[] header = BuildHeader(tensors, metadata);

        Span<byte> headerLength = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(headerLength, (ulong)header.Length);
        stream.Write(headerLength);
        stream.Write(header);
        foreach (SafetensorsTensor tensor in tensors)
        {
            stream.Write(tensor.Data.Span);
        }
    }

    /// <summary>Reads a whole safetensors stream.</summary>
    public static SafetensorsFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>
    /// Parses a safetensors file held in memory; the tensors' data are slices of
    /// <paramref name="file"/>, not copies.
    /// </summary>
    public static SafetensorsFile Read(ReadOnlyMemory<byte> file)
    {
        if (file.Length < sizeof(ulong))
        {
            throw new InvalidDataException($"safetensors file of {file.Length} bytes is shorter than its 8-byte header length.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span);
        if (headerLength > MaxHeaderLength)
        {
            throw new InvalidDataException(
                $"safetensors header of {headerLength} bytes exceeds the {MaxHeaderLength}-byte limit.");
        }

        if (headerLength > (ulong)(file.Length - sizeof(ulong)))
        {
            throw new InvalidDataException(
                $"safetensors header claims {headerLength} bytes, but only {file.Length - sizeof(ulong)} follow.");
        }

        ReadOnlyMemory<byte> data = file[(sizeof(ulong) + (int)headerLength)..];
        using JsonDocument header = ParseHeader(file.Slice(sizeof(ulong), (int)headerLength));

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var placed = new List<(SafetensorsTensor Tensor, long Begin)>();
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == MetadataKey)
            {
                ReadMetadata(entry.Value, metadata);
            }
            else
            {
                placed.Add(ReadTensor(entry, data));
            }
        }

        (SafetensorsTensor Tensor, long Begin)[] inOffsetOrder = [.. placed.OrderBy(p => p.Begin)];
        SafetensorsTensor[] tensors = [.. inOffsetOrder.Select(p => p.Tensor)];
        Validate(tensors);
        EnsureContiguous(inOffsetOrder, data.Length);
        return new SafetensorsFile(tensors, metadata);
    }

    /// <summary>Names unique and not reserved, each tensor's data exactly as long as its shape needs.</summary>
    private static void Validate(IReadOnlyList<SafetensorsTensor> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (SafetensorsTensor tensor in tensors)
        {
            if (tensor.Name == MetadataKey)
            {
                throw new InvalidDataException($"safetensors tensor name '{MetadataKey}' is reserved for metadata.");
            }

            if (!names.Add(tensor.Name))
            {
                throw new InvalidDataException($"safetensors has two tensors named '{tensor.Name}'.");
            }

            tensor.EnsureSizeMatchesShape();
        }
    }

    /// <summary>
    /// The reference reader accepts only a data buffer that the tensors cover exactly, without gaps
    /// or overlaps; so do we, so that no file we accept is refused elsewhere.
    /// </summary>
    private static void EnsureContiguous(IEnumerable<(SafetensorsTensor Tensor, long Begin)> inOffsetOrder, int dataLength)
    {
        long end = 0;
        foreach ((SafetensorsTensor tensor, long begin) in inOffsetOrder)
        {
            if (begin != end)
            {
                throw new InvalidDataException(
                    $"safetensors tensor '{tensor.Name}' starts at byte {begin}, but the data before it ends at {end} " +
                    "(gaps and overlaps are not allowed).");
            }

            end = begin + tensor.Data.Length;
        }

        if (end != dataLength)
        {
            throw new InvalidDataException(
                $"safetensors tensors cover {end} bytes, but the data buffer has {dataLength}.");
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach ((string key, string value) in metadata)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (SafetensorsTensor tensor in tensors)
            {
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", tensor.Dtype);
                writer.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape)
                {
                    writer.WriteNumberValue(dimension);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        // Spaces up to a multiple of 8, as the reference writer pads, so the data buffer starts
        // 8-byte aligned and a reader can map tensors in place.
        while (json.Length % HeaderAlignment != 0)
        {
            json.WriteByte((byte)' ');
        }

        return json.ToArray();
    }

    private static JsonDocument ParseHeader(ReadOnlyMemory<byte> header)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"safetensors header is not valid JSON: {e.Message}", e);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new InvalidDataException("safetensors header is not a JSON object.");
        }

        return document;
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"safetensors '{MetadataKey}' is not a JSON object.");
        }

        foreach (JsonProperty entry in element.EnumerateObject())
        {
            metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                ? entry.Value.GetString()!
                : throw new InvalidDataException($"safetensors metadata value '{entry.Name}' is not a string.");
        }
    }

    private static (SafetensorsTensor Tensor, long Begin) ReadTensor(JsonProperty entry, ReadOnlyMemory<byte> data)
    {
        string name = entry.Name;
        JsonElement info = entry.Value;
        if (info.ValueKind != JsonValueKind.Object
            || !info.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String
            || !info.TryGetProperty("shape", out JsonElement shapeElement)
            || !info.TryGetProperty("data_offsets", out JsonElement offsetsElement))
        {
            throw new InvalidDataException($"safetensors tensor '{name}' lacks a string dtype, a shape or data_offsets.");
        }

        long[] shape = ReadIntegers(name, "shape", shapeElement);
        long[] offsets = ReadIntegers(name, "data_offsets", offsetsElement);
        if (offsets.Length != 2 || offsets[0] > offsets[1] || offsets[1] > data.Length)
        {
            throw new InvalidDataException(
                $"safetensors tensor '{name}' has data_offsets {SafetensorsDtypes.FormatShape(offsets)} " +
                $"outside the {data.Length}-byte data buffer.");
        }

        var tensor = new SafetensorsTensor(
            name, dtype.GetString()!, shape, data[(int)offsets[0]..(int)offsets[1]]);
        return (tensor, offsets[0]);
    }

    private static long[] ReadIntegers(string tensorName, string field, JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"safetensors tensor '{tensorName}' {field} is not an array.");
        }

        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i]) || values[i] < 0)
            {
                throw new InvalidDataException(
                    $"safetensors tensor '{tensorName}' {field} holds {item.GetRawText()}, not a non-negative integer.");
            }

            i++;
        }

        return values;
    }
}
