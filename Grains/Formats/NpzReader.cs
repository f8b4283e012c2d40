using System.IO.Compression;

namespace OrleansFlow.Formats;

/// <summary>
/// Reads <c>.npz</c> files written by <c>np.savez</c> or <c>np.savez_compressed</c> (and by
/// <see cref="NpzWriter"/>): every <c>name.npy</c> member becomes the array <c>name</c>.
/// </summary>
public static class NpzReader
{
    /// <summary>All arrays in the file, keyed by name without <c>.npy</c>.</summary>
    /// <exception cref="InvalidDataException">Not a zip, or an array that cannot be read; the message names the file.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path) => Read(path, keys: null);

    /// <summary>
    /// Only the arrays named in <paramref name="keys"/> (absent ones are simply missing from the
    /// result), so that e.g. <c>mu</c> and <c>sigma</c> come out of an ADM reference batch without
    /// loading its gigabytes of <c>arr_0</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path, IEnumerable<string>? keys)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream file = File.OpenRead(path);
        return Read(file, path, keys);
    }

    /// <summary>
    /// Reads from a stream (e.g. a blob); <paramref name="name"/> names it in error messages. (A zip's
    /// directory sits at its end: ZipArchive buffers a stream that cannot seek.)
    /// </summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(Stream stream, string name, IEnumerable<string>? keys = null)
    {
        HashSet<string>? wanted = keys is null ? null : new HashSet<string>(keys, StringComparer.Ordinal);
        using ZipArchive archive = OpenZip(stream, name);
        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (ZipArchiveEntry entry in archive.Entries)
        {
            // np.load hands non-.npy members back as raw bytes; there is no array to read in them.
            if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
            {
                continue;
            }

            string key = entry.FullName[..^".npy".Length];
            if (wanted is not null && !wanted.Contains(key))
            {
                continue;
            }

            arrays[key] = ReadEntry(entry, key, name);
        }

        return arrays;
    }

    private static ZipArchive OpenZip(Stream file, string path)
    {
        try
        {
            return new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not an .npz file (not a readable zip archive: {e.Message})", e);
        }
    }

    private static NpyArray ReadEntry(ZipArchiveEntry entry, string key, string path)
    {
        try
        {
            using Stream stream = entry.Open();
            return Npy.Read(stream, key);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }
}
