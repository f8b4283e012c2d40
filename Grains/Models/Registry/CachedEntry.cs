namespace OrleansFlow.Models.Registry;

/// <summary>
/// An entry downloaded and checked, pinned on disk until disposed: the cache never deletes the files
/// of an entry while someone is loading them.
/// </summary>
public sealed class CachedEntry(RegistryManifest manifest, string directory, Action release) : IDisposable
{
    private int _released;

    public RegistryManifest Manifest { get; } = manifest;

    /// <summary>The local directory holding the entry's files at their manifest paths.</summary>
    public string Directory { get; } = directory;

    public string PathOf(string file) => Path.Combine(Directory, file.Replace('/', Path.DirectorySeparatorChar));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release();
        }
    }
}
