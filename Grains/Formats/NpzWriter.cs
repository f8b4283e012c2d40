using System.IO.Compression;
using System.Runtime.InteropServices;

namespace OrleansFlow.Formats;

/// <summary>
/// Writes an <c>.npz</c> as <c>np.savez</c> does: a zip with one <c>name.npy</c> entry per array,
/// stored uncompressed unless a compression level is given (then deflate, as
/// <c>np.savez_compressed</c>). Zip64 is used by the archive when an entry passes 4 GiB.
/// </summary>
public sealed class NpzWriter : IDisposable
{
    /// <summary>
    /// Every entry gets the same timestamp (the zip epoch) so equal arrays give byte-identical files,
    /// whose sha256 can then go into manifests.
    /// </summary>
    private static readonly DateTimeOffset EntryTimestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ZipArchive _archive;
    private readonly CompressionLevel _compression;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private NpyDataStream? _openArray;
    private bool _disposed;

    public NpzWriter(string path, CompressionLevel compression = CompressionLevel.NoCompression)
        : this(new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None), compression, leaveOpen: false)
    {
    }

    public NpzWriter(Stream stream, CompressionLevel compression = CompressionLevel.NoCompression, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _compression = compression;
        try
        {
            _archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen);
        }
        catch
        {
            if (!leaveOpen)
            {
                stream.Dispose();
            }

            throw;
        }
    }

    public void Write(string name, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        using Stream data = BeginArray(name, array.Dtype, array.Shape);
        data.Write(array.Data);
    }

    /// <summary>Writes <paramref name="data"/> as float64 with <paramref name="shape"/> (<c>[]</c> for a scalar).</summary>
    public void Write(string name, ReadOnlySpan<double> data, params int[] shape) =>
        WriteElements(name, NpyDtype.Float64, data, shape);

    public void Write(string name, ReadOnlySpan<float> data, params int[] shape) =>
        WriteElements(name, NpyDtype.Float32, data, shape);

    public void Write(string name, ReadOnlySpan<long> data, params int[] shape) =>
        WriteElements(name, NpyDtype.Int64, data, shape);

    public void Write(string name, ReadOnlySpan<byte> data, params int[] shape) =>
        WriteElements(name, NpyDtype.UInt8, data, shape);

    /// <summary>
    /// Starts array <paramref name="name"/> and returns the stream its raw little-endian C-order
    /// data goes into, for arrays too large to hold at once (50,000 images appended shard by
    /// shard). Dispose the stream to finish the array; it throws if fewer bytes than the shape
    /// needs were written, and writing more throws at once. One array is open at a time.
    /// </summary>
    public Stream BeginArray(string name, string dtype, int[] shape)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (_openArray is { IsDisposed: false })
        {
            throw new InvalidOperationException(
                $"Array '{_openArray.ArrayName}' is still being written; dispose its stream before beginning '{name}'.");
        }

        long dataBytes = Npy.DataLength(dtype, shape, name);
        if (!_names.Add(name))
        {
            throw new ArgumentException($"Array '{name}' was already written to this .npz.", nameof(name));
        }

        ZipArchiveEntry entry = _archive.CreateEntry(name + ".npy", _compression);
        entry.LastWriteTime = EntryTimestamp;
        Stream entryStream = entry.Open();
        Npy.WriteHeader(entryStream, dtype, shape);
        _openArray = new NpyDataStream(entryStream, name, dataBytes);
        return _openArray;
    }

    /// <summary>Finishes the archive; throws if an array begun with <see cref="BeginArray"/> is short.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _openArray?.Dispose();
        }
        finally
        {
            _archive.Dispose();
        }
    }

    private void WriteElements<T>(string name, string dtype, ReadOnlySpan<T> data, int[] shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(shape);
        long elements = NpyDtype.ElementCount(shape, name);
        if (data.Length != elements)
        {
            throw new ArgumentException(
                $"Array '{name}': shape {NpyDtype.FormatShape(shape)} holds {elements} elements but {data.Length} were given.",
                nameof(data));
        }

        NpyArray.EnsureLittleEndianHost();
        using Stream stream = BeginArray(name, dtype, shape);
        stream.Write(MemoryMarshal.AsBytes(data));
    }
}
