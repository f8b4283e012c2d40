using System.IO.Compression;

namespace OrleansFlow.Formats;

/// <summary>
/// One array of an <c>.npz</c> read front to back in batches of rows (slices along its first axis),
/// so an ADM reference batch's <c>arr_0</c> (50,000×256×256×3 uint8 = 9.8 GB, more than one .NET
/// array holds) never has to fit in memory. Stored and deflated members both stream:
/// <see cref="ZipArchiveEntry.Open"/> inflates as it is read. Every error names the file and the array.
/// </summary>
public sealed class NpzArrayReader : IDisposable
{
    private readonly FileStream _file;
    private readonly ZipArchive _archive;
    private readonly Crc32ReadStream _data;
    private readonly uint _expectedCrc;
    private readonly string _path;
    private readonly string _key;

    private NpzArrayReader(FileStream file, ZipArchive archive, Crc32ReadStream data, uint expectedCrc, string path, string key, string dtype, int[] shape)
    {
        _expectedCrc = expectedCrc;
        _file = file;
        _archive = archive;
        _data = data;
        _path = path;
        _key = key;
        Dtype = dtype;
        Shape = shape;
        Rows = shape.Length == 0 ? 1 : shape[0];
        RowBytes = Npy.DataLength(dtype, shape.Length == 0 ? [] : shape[1..], key);
    }

    public string Dtype { get; }

    public int[] Shape { get; }

    /// <summary>Extent of the first axis (1 for a 0-d array).</summary>
    public int Rows { get; }

    /// <summary>Bytes of one row: the product of the other extents times the item size.</summary>
    public long RowBytes { get; }

    /// <summary>Rows handed out so far.</summary>
    public int RowsRead { get; private set; }

    /// <summary>
    /// Opens <paramref name="key"/> (without <c>.npy</c>) of the .npz at <paramref name="path"/> and reads
    /// its header; null when the file has no such member.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a zip, or an unreadable header; the message names file and array.</exception>
    public static NpzArrayReader? TryOpen(string path, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var file = File.OpenRead(path);
        ZipArchive? archive = null;
        Crc32ReadStream? data = null;
        try
        {
            try
            {
                archive = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"not a readable zip archive ({OneLine(e.Message)})", e);
            }

            var entry = archive.GetEntry(key + ".npy");
            if (entry is null)
            {
                archive.Dispose();
                file.Dispose();
                return null;
            }

            data = new Crc32ReadStream(entry.Open());
            var (dtype, shape) = Npy.ReadHeader(data, key);
            return new NpzArrayReader(file, archive, data, entry.Crc32, path, key, dtype, shape);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            data?.Dispose();
            archive?.Dispose();
            file.Dispose();
            throw new InvalidDataException($"'{path}': array '{key}': {OneLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> with the next whole rows (as many as fit, at most what is left)
    /// and returns how many; 0 once every row was read.
    /// </summary>
    /// <exception cref="InvalidDataException">The member ends early or its compressed data is damaged.</exception>
    public int ReadRows(Span<byte> buffer)
    {
        if (buffer.Length < RowBytes)
        {
            throw new ArgumentException($"The buffer holds {buffer.Length} bytes, less than one row of '{_key}' ({RowBytes}).", nameof(buffer));
        }

        var rows = (int)Math.Min(Rows - RowsRead, buffer.Length / RowBytes);
        if (rows == 0)
        {
            return 0;
        }

        try
        {
            _data.ReadExactly(buffer[..checked((int)(rows * RowBytes))]);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException(
                $"'{_path}': array '{_key}' is truncated: its data ends within row {RowsRead}..{RowsRead + rows - 1} of the {Rows} its header declares ({NpyDtype.FormatShape(Shape)} {Dtype})");
        }
        catch (InvalidDataException e)
        {
            // A damaged deflate stream, or (for stored and deflated members alike) a CRC-32 that does not match.
            throw new InvalidDataException($"'{_path}': array '{_key}' is corrupt near row {RowsRead}: {OneLine(e.Message)}", e);
        }

        RowsRead += rows;
        if (RowsRead == Rows && _data.Crc != _expectedCrc)
        {
            throw new InvalidDataException(
                $"'{_path}': array '{_key}' is corrupt: its bytes have CRC-32 {_data.Crc:x8}, the zip directory records {_expectedCrc:x8}");
        }

        return rows;
    }

    public void Dispose()
    {
        _data.Dispose();
        _archive.Dispose();
        _file.Dispose();
    }

    private static string OneLine(string message) => message.Split('\n')[0].Trim();
}
