using System.Security.Cryptography;
using System.Text.Json;
using OrleansFlow.Formats;

namespace OrleansFlow.Client.Tests.Support;

/// <summary>Reads what a job wrote into its output directory.</summary>
internal sealed class JobDirectory(string path)
{
    public string Path => path;

    public string File(string relative) => System.IO.Path.Combine(path, relative);

    public JsonElement Summary => ReadJson("summary.json");

    public JsonElement ReadJson(string relative) => JsonDocument.Parse(System.IO.File.ReadAllBytes(File(relative))).RootElement.Clone();

    public IReadOnlyDictionary<string, NpyArray> ReadNpz(string relative) => NpzReader.Read(File(relative));

    public NpyArray ReadNpy(string relative)
    {
        using var stream = System.IO.File.OpenRead(File(relative));
        return Npy.Read(stream, relative);
    }

    public byte[] ReadBytes(string relative) => System.IO.File.ReadAllBytes(File(relative));

    /// <summary>Every file under the directory (relative, '/'-separated) with its sha256: equal snapshots mean nothing changed.</summary>
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
        {
            return files;
        }

        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var name = System.IO.Path.GetRelativePath(root, file).Replace('\\', '/');
            files[name] = Convert.ToHexStringLower(SHA256.HashData(System.IO.File.ReadAllBytes(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
        {
            files[System.IO.Path.GetRelativePath(root, directory).Replace('\\', '/') + "/"] = "directory";
        }

        return files;
    }

    /// <summary>The shard result files, sorted.</summary>
    public string[] ShardFiles(string extension) =>
        Directory.Exists(File("shards"))
            ? [.. Directory.EnumerateFiles(File("shards"), "*" + extension).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).Cast<string>()]
            : [];
}
