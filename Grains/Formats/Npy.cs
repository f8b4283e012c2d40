using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrleansFlow.Formats;

/// <summary>
/// The NumPy <c>.npy</c> format (numpy/lib/format.py): magic <c>\x93NUMPY</c>, version, header
/// length, a Python-literal dict header padded with spaces to a multiple of 64 bytes, then the raw
/// C-order data. Writes version 1.0 byte-for-byte as <c>np.save</c> does; reads versions 1, 2 and 3.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>numpy format.py ARRAY_ALIGN: the data starts on a 64-byte boundary.</summary>
    private const int ArrayAlign = 64;

    /// <summary>
    /// numpy format.py GROWTH_AXIS_MAX_DIGITS: the header leaves room for the first extent to grow
    /// to 21 digits, so NumPy can rewrite it in place.
    /// </summary>
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>Writes <paramref name="array"/> as a complete .npy file.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        WriteHeader(stream, array.Dtype, array.Shape);
        stream.Write(array.Data);
    }

    /// <summary>Writes the .npy header; the caller then writes exactly the array's data bytes.</summary>
    public static void WriteHeader(Stream stream, string dtype, ReadOnlySpan<int> shape)
    {
        NpyDtype.ItemSize(dtype, NpyArray.Unnamed);
        stream.Write(BuildHeader(dtype, shape));
    }

    /// <summary>Bytes of data that follow a header for <paramref name="dtype"/> and <paramref name="shape"/>.</summary>
    public static long DataLength(string dtype, ReadOnlySpan<int> shape, string arrayName) =>
        checked(NpyDtype.ElementCount(shape, arrayName) * NpyDtype.ItemSize(dtype, arrayName));

    /// <summary>
    /// Reads one .npy array from <paramref name="stream"/>; <paramref name="arrayName"/> names it
    /// in error messages.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a .npy stream, truncated, or an unsupported layout.</exception>
    /// <exception cref="NotSupportedException">A dtype other than the four supported.</exception>
    public static NpyArray Read(Stream stream, string arrayName)
    {
        (string dtype, int[] shape) = ReadHeader(stream, arrayName);
        long length = DataLength(dtype, shape, arrayName);
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"Array '{arrayName}' ({dtype}, shape {NpyDtype.FormatShape(shape)}) has {length} bytes, too many to hold in one .NET array.");
        }

        // Every byte is overwritten by the read: skip zeroing (a shard's moments are 32 MB at 2,048-d).
        var data = GC.AllocateUninitializedArray<byte>((int)length);
        ReadExactly(stream, data, arrayName, "data");
        return new NpyArray(dtype, shape, data);
    }

    /// <summary>Reads and checks the header, leaving the stream at the first data byte.</summary>
    public static (string Dtype, int[] Shape) ReadHeader(Stream stream, string arrayName)
    {
        Span<byte> preamble = stackalloc byte[Magic.Length + 2];
        ReadExactly(stream, preamble, arrayName, "header");
        if (!preamble[..Magic.Length].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"Array '{arrayName}' is not in .npy format (bad magic bytes).");
        }

        byte major = preamble[Magic.Length];
        int lengthFieldSize = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new InvalidDataException($"Array '{arrayName}' uses .npy format version {major}.{preamble[Magic.Length + 1]}; versions 1-3 are supported."),
        };

        Span<byte> lengthField = stackalloc byte[lengthFieldSize];
        ReadExactly(stream, lengthField, arrayName, "header");
        long headerLength = lengthFieldSize == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField)
            : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        if (headerLength > 1 << 20)
        {
            throw new InvalidDataException($"Array '{arrayName}' declares a {headerLength}-byte .npy header; refusing to read it.");
        }

        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, arrayName, "header");

        // Versions 1 and 2 are latin1, version 3 utf8 (numpy format.py _header_size_info).
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        return ParseHeader(header, arrayName);
    }

    private static byte[] BuildHeader(string dtype, ReadOnlySpan<int> shape)
    {
        // Keys sorted and values repr'd as numpy format.py _write_array_header does.
        string dict = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {NpyDtype.FormatShape(shape)}, }}";
        if (shape.Length > 0)
        {
            dict += new string(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        }

        // Version 1.0 has a 2-byte header length; like numpy, fall back to 2.0 only when it overflows.
        byte major = 1;
        int lengthFieldSize = 2;
        int headerLength = PaddedHeaderLength(dict.Length, lengthFieldSize);
        if (headerLength > ushort.MaxValue)
        {
            major = 2;
            lengthFieldSize = 4;
            headerLength = PaddedHeaderLength(dict.Length, lengthFieldSize);
        }

        int prefixLength = Magic.Length + 2 + lengthFieldSize;
        int padding = headerLength - dict.Length - 1;
        var bytes = new byte[prefixLength + headerLength];
        Magic.CopyTo(bytes, 0);
        bytes[Magic.Length] = major;
        bytes[Magic.Length + 1] = 0;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(Magic.Length + 2), (ushort)headerLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Magic.Length + 2), (uint)headerLength);
        }

        Encoding.Latin1.GetBytes(dict, bytes.AsSpan(prefixLength));
        bytes.AsSpan(prefixLength + dict.Length, padding).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>Dict, space padding and the final newline, so that the data starts 64-byte aligned.</summary>
    private static int PaddedHeaderLength(int dictLength, int lengthFieldSize)
    {
        int prefixLength = Magic.Length + 2 + lengthFieldSize;
        int unpadded = dictLength + 1;
        return unpadded + ArrayAlign - ((prefixLength + unpadded) % ArrayAlign);
    }

    private static (string Dtype, int[] Shape) ParseHeader(string header, string arrayName)
    {
        Match descr = DescrPattern().Match(header);
        Match fortranOrder = FortranOrderPattern().Match(header);
        Match shape = ShapePattern().Match(header);
        if (!descr.Success || !fortranOrder.Success || !shape.Success)
        {
            throw new InvalidDataException(
                $"Array '{arrayName}' has a .npy header this reader does not understand (structured dtype?): {header.Trim()}");
        }

        if (fortranOrder.Groups[1].Value == "True")
        {
            throw new InvalidDataException(
                $"Array '{arrayName}' is stored in Fortran (column-major) order; save it C-ordered (np.ascontiguousarray) instead.");
        }

        string dtype = descr.Groups[1].Value;
        NpyDtype.ItemSize(dtype, arrayName);
        return (dtype, ParseShape(shape.Groups[1].Value, arrayName));
    }

    private static int[] ParseShape(string tuple, string arrayName)
    {
        string[] parts = tuple.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shape = new int[parts.Length];
        for (int axis = 0; axis < parts.Length; axis++)
        {
            // Python 2 era files may write extents as long literals such as 3L.
            string extent = parts[axis].TrimEnd('L');
            if (!int.TryParse(extent, NumberStyles.None, CultureInfo.InvariantCulture, out shape[axis]))
            {
                throw new InvalidDataException($"Array '{arrayName}' has an unreadable shape ({tuple}) in its .npy header.");
            }
        }

        return shape;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string arrayName, string part)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"Array '{arrayName}' is truncated: its .npy {part} ends early.");
        }
    }

    [GeneratedRegex("""['"]descr['"]\s*:\s*['"]([^'"]*)['"]""")]
    private static partial Regex DescrPattern();

    [GeneratedRegex("""['"]fortran_order['"]\s*:\s*(True|False)""")]
    private static partial Regex FortranOrderPattern();

    [GeneratedRegex("""['"]shape['"]\s*:\s*\(([^)]*)\)""")]
    private static partial Regex ShapePattern();
}
