using System.Security.Cryptography;
using OrleansFlow.Storage;

namespace OrleansFlow.Models.Registry;

/// <summary>
/// A silo's local copies of registry entries. The first use of an entry downloads it once (concurrent
/// first uses share that download), checks each file's size and SHA-256 against the manifest, and moves
/// it into place only when every file is right; a bad file fails that use with its name and is never
/// cached. Entries beyond <see cref="ModelCacheOptions.BudgetBytes"/> are deleted least recently used
/// first, except those pinned by a <see cref="CachedEntry"/>; a later use downloads them again.
/// </summary>
public sealed class ModelCache
{
    private const string PartialFolder = ".partial";
    private const string EntryMarker = ".entry.json";

    private readonly ModelRegistry _registry;
    private readonly ModelCacheOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<(RegistryKind, string), Slot> _entries = [];
    private readonly Dictionary<(RegistryKind, string), Task> _downloads = [];
    private long _useCounter;

    public ModelCache(ModelRegistry registry, ModelCacheOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.BudgetBytes);
        _registry = registry;
        _options = options with { Root = Path.GetFullPath(options.Root) };
        Directory.CreateDirectory(_options.Root);
        // A download interrupted by a crash left only a partial folder: nothing in it was trusted.
        if (Directory.Exists(Path.Combine(_options.Root, PartialFolder)))
        {
            Directory.Delete(Path.Combine(_options.Root, PartialFolder), recursive: true);
        }

        AdoptCompleteEntries();
    }

    /// <summary>The cache's directory (absolute): entries are <c>ROOT/&lt;kind prefix&gt;/&lt;name&gt;/&lt;file&gt;</c>.</summary>
    public string Root => _options.Root;

    /// <summary>Downloads so far (one per entry fetched from the registry, including failed ones; not the checks of adopted entries).</summary>
    public int Downloads { get; private set; }

    /// <summary>Entries deleted to keep within the budget so far.</summary>
    public int Evictions { get; private set; }

    /// <summary>Bytes of the entries on disk now.</summary>
    public long CachedBytes
    {
        get
        {
            lock (_lock)
            {
                return _entries.Values.Sum(s => s.Manifest.TotalBytes);
            }
        }
    }

    /// <summary>
    /// The entry, downloaded if needed and pinned until the result is disposed. Throws
    /// <see cref="SpecException"/> naming the kind's field when the registry has no such entry or a file
    /// is missing or corrupt.
    /// </summary>
    public async Task<CachedEntry> AcquireAsync(RegistryKind kind, RegistryName name, CancellationToken cancellationToken)
    {
        var key = (kind, name.Value);
        while (true)
        {
            Task download;
            lock (_lock)
            {
                if (_entries.TryGetValue(key, out var slot) && slot.Checked)
                {
                    slot.Pins++;
                    slot.LastUse = ++_useCounter;
                    return new CachedEntry(slot.Manifest, slot.Directory, () => Unpin(key));
                }

                if (!_downloads.TryGetValue(key, out download!))
                {
                    // Not the caller's token: a download others wait on must not die with the first caller.
                    download = Task.Run(() => CheckOrDownloadAsync(kind, name, CancellationToken.None), CancellationToken.None);
                    _downloads[key] = download;
                }
            }

            await download.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// An entry found on disk at start (<see cref="AdoptCompleteEntries"/>) is used only after its files are
    /// hashed again against the registry's manifest (whose signature is checked again when the registry
    /// requires signatures): anyone who could write to the cache folder while the silo was down could
    /// otherwise choose what it loads. An entry that fails is deleted and downloaded afresh.
    /// </summary>
    private async Task CheckOrDownloadAsync(RegistryKind kind, RegistryName name, CancellationToken cancellationToken)
    {
        var key = (kind, name.Value);
        try
        {
            Slot? adopted;
            lock (_lock)
            {
                adopted = _entries.TryGetValue(key, out var slot) && !slot.Checked ? slot : null;
            }

            if (adopted is not null && await StillGoodAsync(kind, name, adopted, cancellationToken))
            {
                lock (_lock)
                {
                    adopted.Checked = true;
                }

                return;
            }

            if (adopted is not null)
            {
                lock (_lock)
                {
                    if (_entries.Remove(key))
                    {
                        Discard(adopted.Directory);
                    }
                }
            }

            await DownloadAsync(kind, name, cancellationToken);
        }
        finally
        {
            lock (_lock)
            {
                _downloads.Remove(key);
            }
        }
    }

    private async Task<bool> StillGoodAsync(RegistryKind kind, RegistryName name, Slot adopted, CancellationToken cancellationToken)
    {
        try
        {
            var manifest = await FindTrustedAsync(kind, name, cancellationToken);
            return manifest.ToJson().AsSpan().SequenceEqual(adopted.Manifest.ToJson()) && await FilesMatchAsync(adopted.Directory, manifest, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SpecException)
        {
            // A refused entry is refused again by the download that follows; a damaged copy is replaced.
            return false;
        }
    }

    private async Task<RegistryManifest> FindTrustedAsync(RegistryKind kind, RegistryName name, CancellationToken cancellationToken)
    {
        var manifest = await _registry.FindAsync(kind, name, cancellationToken)
            ?? throw new SpecException(kind.Field(), $"no {kind.Field()} named '{name}' in the registry (orleansflow models list shows what there is; orleansflow models push adds one)");
        await _registry.RequireTrustedAsync(manifest, cancellationToken);
        return manifest;
    }

    private static async Task<bool> FilesMatchAsync(string directory, RegistryManifest manifest, CancellationToken cancellationToken)
    {
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(directory, file.Path.Replace('/', Path.DirectorySeparatorChar));
            if (!File.Exists(path) || new FileInfo(path).Length != file.Size)
            {
                return false;
            }

            await using var stream = File.OpenRead(path);
            if (Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken)) != file.Sha256)
            {
                return false;
            }
        }

        return true;
    }

    private async Task DownloadAsync(RegistryKind kind, RegistryName name, CancellationToken cancellationToken)
    {
        var key = (kind, name.Value);
        lock (_lock)
        {
            Downloads++;
        }

        var manifest = await FindTrustedAsync(kind, name, cancellationToken);
        var final = EntryDirectory(kind, name);
        var partial = Path.Combine(_options.Root, PartialFolder, Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var file in manifest.Files)
            {
                await FetchAsync(manifest, file, Path.Combine(partial, file.Path.Replace('/', Path.DirectorySeparatorChar)), cancellationToken);
            }

            // The marker goes in last: a directory without one was never complete.
            await File.WriteAllBytesAsync(Path.Combine(partial, EntryMarker), manifest.ToJson(), cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }

            Directory.Move(partial, final);
        }
        finally
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }
        }

        lock (_lock)
        {
            _entries[key] = new Slot(manifest, final) { LastUse = ++_useCounter, Checked = true };
            EnforceBudget(except: key);
        }
    }

    /// <summary>Copies one file while hashing it; the error names the entry and the file, never a local path.</summary>
    private async Task FetchAsync(RegistryManifest manifest, RegistryFile file, string target, CancellationToken cancellationToken)
    {
        var what = $"{manifest.Kind.Field()} '{manifest.Name}': file '{file.Path}'";
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            await using var source = await _registry.OpenFileAsync(manifest, file, cancellationToken);
            await using var destination = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                size += read;
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (FileNotFoundException)
        {
            throw new SpecException(manifest.Kind.Field(), $"{what} is missing from the registry; push the package again under a new name");
        }

        var actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (size != file.Size || actual != file.Sha256)
        {
            throw new SpecException(manifest.Kind.Field(),
                $"{what} is corrupt in the registry ({size} bytes, sha256 {actual}; the manifest says {file.Size} bytes, sha256 {file.Sha256}); push a good copy under a new name");
        }
    }

    private void Unpin((RegistryKind, string) key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var slot))
            {
                slot.Pins--;
            }

            EnforceBudget(except: null);
        }
    }

    /// <summary>Deletes least recently used unpinned entries while the total exceeds the budget (under the lock).</summary>
    private void EnforceBudget((RegistryKind, string)? except)
    {
        var total = _entries.Values.Sum(s => s.Manifest.TotalBytes);
        foreach (var (key, slot) in _entries.OrderBy(e => e.Value.LastUse).ToList())
        {
            if (total <= _options.BudgetBytes)
            {
                return;
            }

            if (slot.Pins > 0 || key.Equals(except))
            {
                continue;
            }

            _entries.Remove(key);
            total -= slot.Manifest.TotalBytes;
            Evictions++;
            Discard(slot.Directory);
        }
    }

    /// <summary>Renamed away first so a crash mid-delete never leaves a half-deleted entry that looks complete.</summary>
    private void Discard(string directory)
    {
        var doomed = Path.Combine(_options.Root, PartialFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(doomed)!);
        Directory.Move(directory, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    /// <summary>Entries a previous run of this silo downloaded, oldest use first: checked again at their first use.</summary>
    private void AdoptCompleteEntries()
    {
        var found = new List<(DateTime Used, (RegistryKind, string) Key, Slot Slot)>();
        foreach (var kind in Enum.GetValues<RegistryKind>())
        {
            var folder = Path.Combine(_options.Root, kind.Prefix());
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (var directory in Directory.EnumerateDirectories(folder))
            {
                var marker = Path.Combine(directory, EntryMarker);
                if (!File.Exists(marker) || !RegistryName.TryParse(Path.GetFileName(directory), out var name))
                {
                    Directory.Delete(directory, recursive: true);
                    continue;
                }

                RegistryManifest manifest;
                try
                {
                    manifest = RegistryManifest.Parse(File.ReadAllBytes(marker), marker);
                }
                catch (InvalidDataException)
                {
                    Directory.Delete(directory, recursive: true);
                    continue;
                }

                if (manifest.Kind != kind || manifest.Name != name.Value)
                {
                    Directory.Delete(directory, recursive: true);
                    continue;
                }

                found.Add((File.GetLastWriteTimeUtc(marker), (kind, name.Value), new Slot(manifest, directory)));
            }
        }

        foreach (var (_, key, slot) in found.OrderBy(f => f.Used))
        {
            slot.LastUse = ++_useCounter;
            _entries[key] = slot;
        }
    }

    private string EntryDirectory(RegistryKind kind, RegistryName name) => Path.Combine(_options.Root, kind.Prefix(), BlobName.Validate(name.Value));

    private sealed class Slot(RegistryManifest manifest, string directory)
    {
        public RegistryManifest Manifest { get; } = manifest;

        public string Directory { get; } = directory;

        public int Pins { get; set; }

        public long LastUse { get; set; }

        /// <summary>Downloaded and checked by this process, or adopted from disk and checked again since.</summary>
        public bool Checked { get; set; }
    }
}
