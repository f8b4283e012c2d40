using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using OrleansFlow.Formats;
using OrleansFlow.Statistics;
using OrleansFlow.Statistics.Metrics;

namespace OrleansFlow.Jobs;

/// <summary>
/// The features of reference images, computed once and kept on disk so that the next job or process
/// with the same reference and network reads them instead of running the network over the images
/// again. An entry is named by the sha256 of what decides its contents (<see cref="ReferenceFeatureKey"/>:
/// the reference's bytes, the network file's bytes, the feature layout and the sample shape), so a
/// changed reference or network can never be served a stale entry. Entries are written to a temporary
/// file, flushed to disk and renamed into place (a crash leaves no half-written entry under its
/// name); an entry that fails its checks (zip, shapes, key, sha256 of its data) is recomputed and
/// replaced, never trusted.
/// </summary>
/// <remarks>
/// Where: <c>$ORLEANSFLOW_REFERENCE_CACHE</c>, else <c>$XDG_CACHE_HOME/orleansflow/reference-features</c>,
/// else <c>~/.cache/orleansflow/reference-features</c>; <c>ORLEANSFLOW_REFERENCE_CACHE=off</c> disables
/// it. Clearing it is deleting the directory. A cache that cannot be written (read-only disk) only
/// costs the recomputation.
/// </remarks>
public sealed class ReferenceFeatureCache
{
    public const string DirectoryVariable = "ORLEANSFLOW_REFERENCE_CACHE";

    /// <summary>The value of <see cref="DirectoryVariable"/> that turns the disk cache off.</summary>
    public const string Off = "off";

    private const string KeyArray = "key";
    private const string PoolArray = "pool";
    private const string SpatialArray = "spatial";
    private const string ChecksumArray = "sha256";

    /// <summary>Reference images per network call while computing.</summary>
    private const int BatchSize = 256;

    /// <summary>Within one process an entry is read or computed once and then shared.</summary>
    private readonly ConcurrentDictionary<string, Lazy<ReferenceFeatures>> _loaded = new(StringComparer.Ordinal);

    /// <param name="directory">Where entries live; null keeps them in this process only.</param>
    public ReferenceFeatureCache(string? directory)
    {
        Directory = directory is null ? null : System.IO.Path.GetFullPath(directory);
    }

    /// <summary>The cache every job uses, configured by <see cref="DirectoryVariable"/>.</summary>
    public static ReferenceFeatureCache Default { get; } = new(DirectoryFromEnvironment());

    /// <summary>The directory of the entries, or null when the disk cache is off.</summary>
    public string? Directory { get; }

    /// <summary>The features of <paramref name="batch"/>'s images under <paramref name="extractor"/>: from the cache when it has them.</summary>
    public ReferenceFeatures Get(ReferenceBatch batch, IFeatureExtractor extractor, Ids.Resolution shape)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(extractor);
        var key = ReferenceFeatureKey.Of(batch, extractor, shape);
        var entry = _loaded.GetOrAdd(key.Hash, _ => new Lazy<ReferenceFeatures>(() => ReadOrCompute(batch, extractor, shape, key)));
        try
        {
            return entry.Value;
        }
        catch
        {
            // A failure is not kept: the next job tries again (the file may have been fixed).
            _loaded.TryRemove(new KeyValuePair<string, Lazy<ReferenceFeatures>>(key.Hash, entry));
            throw;
        }
    }

    /// <summary>The file that holds (or would hold) the entry for <paramref name="key"/>.</summary>
    public string? FileOf(ReferenceFeatureKey key) => Directory is null ? null : System.IO.Path.Combine(Directory, key.Hash + ".npz");

    private ReferenceFeatures ReadOrCompute(ReferenceBatch batch, IFeatureExtractor extractor, Ids.Resolution shape, ReferenceFeatureKey key)
    {
        var file = FileOf(key);
        if (file is not null && File.Exists(file) && TryRead(file, key, batch.Count, extractor.Layout) is { } cached)
        {
            return cached;
        }

        var computed = Compute(batch, extractor, shape, file);
        // A reference rewritten while it was read would file these features under its old content.
        if (file is not null && ReferenceFeatureKey.Of(batch, extractor, shape).Hash == key.Hash)
        {
            TryWrite(file, key, computed);
        }

        return computed;
    }

    private static ReferenceFeatures Compute(ReferenceBatch batch, IFeatureExtractor extractor, Ids.Resolution shape, string? file)
    {
        var layout = extractor.Layout;
        var pool = new float[checked((long)batch.Count * layout.Pool)];
        var spatial = layout.Spatial > 0 ? new float[checked((long)batch.Count * layout.Spatial)] : null;
        var rows = new float[BatchSize * layout.Width];
        foreach (var images in batch.SampleBatches(shape))
        {
            for (var offset = 0; offset < images.Count; offset += BatchSize)
            {
                var count = Math.Min(BatchSize, images.Count - offset);
                extractor.ExtractAll(images.Samples.Span.Slice(offset * shape.Elements, count * shape.Elements), count, rows.AsSpan(0, count * layout.Width));
                for (var i = 0; i < count; i++)
                {
                    var index = images.Start + offset + i;
                    ReadOnlySpan<float> row = rows.AsSpan(i * layout.Width, layout.Width);
                    layout.PoolOf(row).CopyTo(pool.AsSpan(index * layout.Pool, layout.Pool));
                    if (spatial is not null)
                    {
                        layout.SpatialOf(row).CopyTo(spatial.AsSpan(index * layout.Spatial, layout.Spatial));
                    }
                }
            }
        }

        return new ReferenceFeatures(
            new FeatureMatrix(pool, batch.Count, layout.Pool),
            spatial is null ? null : new FeatureMatrix(spatial, batch.Count, layout.Spatial),
            readFromCache: false,
            file);
    }

    /// <summary>The entry at <paramref name="file"/> when every check passes; null when it is damaged or not this key's.</summary>
    private static ReferenceFeatures? TryRead(string file, ReferenceFeatureKey key, int count, FeatureLayout layout)
    {
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var keyBytes = ReadWhole<byte>(file, KeyArray, NpyDtype.UInt8, [Encoding.UTF8.GetByteCount(key.Text)], hash);
            if (keyBytes is null || !keyBytes.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(key.Text)))
            {
                return null;
            }

            var pool = ReadWhole<float>(file, PoolArray, NpyDtype.Float32, [count, layout.Pool], hash);
            var spatial = layout.Spatial > 0 ? ReadWhole<float>(file, SpatialArray, NpyDtype.Float32, [count, layout.Spatial], hash) : null;
            var checksum = ReadWhole<byte>(file, ChecksumArray, NpyDtype.UInt8, [32], hash: null);
            if (pool is null || (layout.Spatial > 0 && spatial is null) || checksum is null || !hash.GetHashAndReset().AsSpan().SequenceEqual(checksum))
            {
                return null;
            }

            return new ReferenceFeatures(
                new FeatureMatrix(pool, count, layout.Pool),
                spatial is null ? null : new FeatureMatrix(spatial, count, layout.Spatial),
                readFromCache: true,
                file);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>One array of the entry straight into a new array (no second copy), hashed as it is read; null when absent or of another shape.</summary>
    private static T[]? ReadWhole<T>(string file, string name, string dtype, int[] shape, IncrementalHash? hash)
        where T : unmanaged
    {
        using var reader = NpzArrayReader.TryOpen(file, name);
        if (reader is null || reader.Dtype != dtype || !reader.Shape.AsSpan().SequenceEqual(shape))
        {
            return null;
        }

        var values = new T[checked((int)NpyDtype.ElementCount(shape, name))];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        var read = 0;
        while (read < bytes.Length)
        {
            var rows = reader.ReadRows(bytes[read..]);
            if (rows == 0)
            {
                return null;
            }

            read += checked((int)(rows * reader.RowBytes));
        }

        hash?.AppendData(bytes);
        return values;
    }

    private static void TryWrite(string file, ReferenceFeatureKey key, ReferenceFeatures features)
    {
        var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            var keyBytes = Encoding.UTF8.GetBytes(key.Text);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(keyBytes);
            hash.AppendData(MemoryMarshal.AsBytes(features.Pool.Values.AsSpan()));
            if (features.Spatial is not null)
            {
                hash.AppendData(MemoryMarshal.AsBytes(features.Spatial.Values.AsSpan()));
            }

            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                using (var writer = new NpzWriter(stream, leaveOpen: true))
                {
                    writer.Write(KeyArray, keyBytes, keyBytes.Length);
                    writer.Write(PoolArray, features.Pool.Values, features.Pool.Count, features.Pool.Dimension);
                    if (features.Spatial is not null)
                    {
                        writer.Write(SpatialArray, features.Spatial.Values, features.Spatial.Count, features.Spatial.Dimension);
                    }

                    writer.Write(ChecksumArray, hash.GetHashAndReset(), 32);
                }

                // On disk before it gets its name: a crash after the rename must not leave an empty entry.
                stream.Flush(flushToDisk: true);
            }

            // Create-only, except over an entry that failed its checks (this call only writes after a miss).
            File.Move(temporary, file, overwrite: File.Exists(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not cached (read-only disk, or another process renamed its copy first): recomputed next time.
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string? DirectoryFromEnvironment()
    {
        var configured = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (configured is { Length: > 0 })
        {
            return string.Equals(configured, Off, StringComparison.OrdinalIgnoreCase) ? null : configured;
        }

        var cacheHome = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(cacheHome, "orleansflow", "reference-features");
    }
}
