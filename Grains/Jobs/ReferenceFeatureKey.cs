using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OrleansFlow.Statistics;

namespace OrleansFlow.Jobs;

/// <summary>
/// What decides the features of a reference's images, written out (<see cref="Text"/>) and hashed
/// (<see cref="Hash"/>, the cache entry's name): the sha256 of the reference file (of every PNG of a
/// directory, with its name), the sha256 of the network file and its device (or, for a built-in
/// extractor, its name and preprocessing), the feature layout and the sample shape. <see cref="Version"/> changes
/// when the code that turns images into samples does.
/// </summary>
public sealed record ReferenceFeatureKey(string Text, string Hash)
{
    public const string Version = "orleansflow reference features v1 (images x = u/127.5 - 1)";

    /// <summary>File digests by (path, length, last write): a large reference is hashed once per process.</summary>
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Digests = new();

    public static ReferenceFeatureKey Of(ReferenceBatch batch, IFeatureExtractor extractor, Ids.Resolution shape)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(extractor);
        var layout = extractor.Layout;
        var network = extractor.NetworkFile is { } file
            ? $"network sha256 {Sha256OfFile(file)} on {extractor.NetworkDevice ?? "cpu"}"
            : $"network {extractor.Name}: {extractor.Preprocessing}";
        var text = string.Join('\n',
            Version,
            $"reference sha256 {Sha256OfReference(batch.Path)}",
            network,
            string.Create(CultureInfo.InvariantCulture, $"layout pool {layout.Pool} spatial {layout.Spatial} logits {layout.Logits}"),
            $"samples {shape}");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return new ReferenceFeatureKey(text, hash);
    }

    private static string Sha256OfReference(string path)
    {
        if (!Directory.Exists(path))
        {
            return Sha256OfFile(path);
        }

        // A directory reference is its PNG files in name order (as ReferenceBatch reads them).
        var listing = new StringBuilder();
        foreach (var file in Directory.GetFiles(path, "*.png").Order(StringComparer.Ordinal))
        {
            listing.Append(Path.GetFileName(file)).Append(' ').Append(Sha256OfFile(file)).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
    }

    private static string Sha256OfFile(string path)
    {
        var info = new FileInfo(path);
        return Digests.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }
}
