using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using OrleansFlow.Storage;

namespace OrleansFlow.Models.Registry;

/// <summary>
/// Models, feature networks and FID references by name in a blob store:
/// <c>&lt;kind&gt;/&lt;name&gt;/manifest.json</c> (see <see cref="RegistryManifest"/>) and the files under
/// <c>&lt;kind&gt;/&lt;name&gt;/&lt;upload&gt;/…</c>. Create-only: a pushed name is never overwritten.
/// With a <see cref="RegistryTrust"/>, an entry is used only when a trusted key signed its manifest
/// (<see cref="RegistrySigning"/>); a manifest must always name the entry it is stored as.
/// </summary>
public sealed class ModelRegistry(IBlobStore store, TimeProvider? clock = null, RegistryTrust? trust = null)
{
    public const string ManifestBlob = "manifest.json";

    /// <summary>A model entry holds one of these at its top: a TorchScript package or an analytic mixture.</summary>
    public const string MixtureFile = "mixture.json";

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public string Location => store.Location;

    public static string ManifestName(RegistryKind kind, RegistryName name) => $"{kind.Prefix()}/{name}/{ManifestBlob}";

    public static string FileName(RegistryManifest manifest, RegistryFile file) => $"{manifest.Kind.Prefix()}/{manifest.Name}/{manifest.Upload}/{file.Path}";

    /// <summary>
    /// Uploads <paramref name="source"/> (a package directory, or one file) as <paramref name="name"/>: files
    /// first, the manifest last and create-only. A package's files outside its directory are copied in
    /// (<see cref="SelfContainedPackage.Gather"/>). Throws <see cref="SpecException"/> when the name is taken
    /// or the source does not fit the kind.
    /// </summary>
    /// <param name="signingKey">When given, the manifest is signed with it (the signature is stored before the manifest, so a silo never sees the entry unsigned).</param>
    public async Task<RegistryManifest> PushAsync(RegistryKind kind, string source, RegistryName name, CancellationToken cancellationToken, ECDsa? signingKey = null)
    {
        var manifestName = ManifestName(kind, name);
        if (await store.ExistsAsync(manifestName, cancellationToken))
        {
            throw Taken(kind, name);
        }

        // A package naming files outside itself (the shipped digits packages) is pushed as a copy that holds them.
        var staging = Path.Combine(Path.GetTempPath(), $"orleansflow-push-{Guid.NewGuid():N}");
        try
        {
            var gathered = kind == RegistryKind.Model && Torch.ModelPackage.IsPackage(source) ? SelfContainedPackage.Gather(source, staging) : source;
            return await PushFilesAsync(kind, gathered, name, manifestName, signingKey, cancellationToken);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private async Task<RegistryManifest> PushFilesAsync(RegistryKind kind, string source, RegistryName name, string manifestName, ECDsa? signingKey, CancellationToken cancellationToken)
    {
        var sources = SourceFiles(kind, source);
        var files = new List<RegistryFile>();
        foreach (var (path, local) in sources)
        {
            files.Add(await DescribeAsync(path, local, cancellationToken));
        }

        var manifest = new RegistryManifest
        {
            Kind = kind,
            Name = name.Value,
            PushedAt = _clock.GetUtcNow(),
            Upload = Guid.NewGuid().ToString("N"),
            Files = files,
        };
        foreach (var (file, (_, local)) in files.Zip(sources))
        {
            var outcome = await store.CreateAsync(FileName(manifest, file), (stream, ct) => CopyFileAsync(local, stream, ct), cancellationToken);
            if (outcome == BlobCreateOutcome.AlreadyDifferent)
            {
                throw new IOException($"registry: '{FileName(manifest, file)}' already holds other bytes (two pushes collided); push again");
            }
        }

        if (signingKey is not null)
        {
            await RegistrySigning.SignAsync(store, manifest, signingKey, cancellationToken);
        }

        var json = manifest.ToJson();
        if (!await store.TryCreateAsync(manifestName, (stream, ct) => stream.WriteAsync(json, ct).AsTask(), cancellationToken))
        {
            throw Taken(kind, name);
        }

        return manifest;
    }

    /// <summary>The manifest of <paramref name="name"/>, or null when the registry has no such entry.</summary>
    public async Task<RegistryManifest?> FindAsync(RegistryKind kind, RegistryName name, CancellationToken cancellationToken)
    {
        var blob = ManifestName(kind, name);
        try
        {
            await using var stream = await store.OpenReadAsync(blob, cancellationToken);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            var manifest = RegistryManifest.Parse(buffer.ToArray(), blob);
            // A manifest copied under another name (or kind) would load another entry's files as this one.
            return manifest.Kind == kind && string.Equals(manifest.Name, name.Value, StringComparison.Ordinal)
                ? manifest
                : throw new SpecException(kind.Field(), $"{kind.Field()} '{name}': its manifest describes {manifest.Kind.Field()} '{manifest.Name}': refused, nothing loaded");
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Every entry of <paramref name="kind"/> (all kinds when null), in name order.</summary>
    public async IAsyncEnumerable<RegistryManifest> ListAsync(RegistryKind? kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var each in kind is { } one ? [one] : Enum.GetValues<RegistryKind>())
        {
            await foreach (var blob in store.ListAsync(each.Prefix() + "/", cancellationToken))
            {
                var segments = blob.Split('/');
                if (segments.Length == 3 && segments[2] == ManifestBlob && RegistryName.TryParse(segments[1], out var name)
                    && await FindAsync(each, name, cancellationToken) is { } manifest)
                {
                    yield return manifest;
                }
            }
        }
    }

    /// <summary>Whether entries must be signed by a trusted key before they are used.</summary>
    public bool RequiresSignatures => trust is not null;

    /// <summary>Throws <see cref="SpecException"/> unless the registry's trust (if any) accepts the manifest's signature.</summary>
    public Task RequireTrustedAsync(RegistryManifest manifest, CancellationToken cancellationToken) =>
        trust is null ? Task.CompletedTask : trust.RequireAsync(store, manifest, cancellationToken);

    /// <summary>Adds <paramref name="key"/>'s signature to an existing entry (key rotation: docs/models.md); returns the key id.</summary>
    public async Task<string> SignAsync(RegistryKind kind, RegistryName name, ECDsa key, CancellationToken cancellationToken)
    {
        var manifest = await FindAsync(kind, name, cancellationToken)
            ?? throw new SpecException("name", $"no {kind.Field()} named '{name}' in the registry");
        return await RegistrySigning.SignAsync(store, manifest, key, cancellationToken);
    }

    public Task<Stream> OpenFileAsync(RegistryManifest manifest, RegistryFile file, CancellationToken cancellationToken) =>
        store.OpenReadAsync(FileName(manifest, file), cancellationToken);

    /// <summary>The files to upload and their paths in the entry; checks the source has what its kind needs.</summary>
    private static List<(string Path, string Local)> SourceFiles(RegistryKind kind, string source)
    {
        var field = kind.Field();
        if (Directory.Exists(source))
        {
            var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                .Select(local => (Path: Path.GetRelativePath(source, local).Replace(Path.DirectorySeparatorChar, '/'), Local: local))
                .OrderBy(f => f.Path, StringComparer.Ordinal)
                .ToList();
            if (kind == RegistryKind.Model && !files.Any(f => f.Path is Torch.ModelPackage.ManifestFile or MixtureFile))
            {
                throw new SpecException(field, $"'{source}' has neither {Torch.ModelPackage.ManifestFile} (a model package) nor {MixtureFile} (an analytic mixture)");
            }

            if (kind == RegistryKind.Model && files.Any(f => f.Path == Torch.ModelPackage.ManifestFile))
            {
                SelfContainedPackage.Require(source, $"'{source}'");
            }

            if (kind != RegistryKind.Model && files.Count != 1)
            {
                throw new SpecException(field, $"'{source}': a {field} entry is one file, give the file itself");
            }

            return files.Count > 0 ? files : throw new SpecException(field, $"'{source}' is empty");
        }

        if (!File.Exists(source))
        {
            throw new SpecException(field, $"'{source}' does not exist");
        }

        // One file: a mixture JSON is a whole analytic model; features and references are one file each.
        var fileName = kind == RegistryKind.Model ? MixtureFile : Path.GetFileName(source);
        if (kind == RegistryKind.Model && !source.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            throw new SpecException(field, $"'{source}' is a file: a model is a package directory or a mixture .json");
        }

        return [(fileName, source)];
    }

    private static async Task<RegistryFile> DescribeAsync(string path, string local, CancellationToken cancellationToken)
    {
        BlobName.Validate(path);
        await using var stream = File.OpenRead(local);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return new RegistryFile(path, stream.Length, Convert.ToHexStringLower(hash));
    }

    private static async Task CopyFileAsync(string local, Stream destination, CancellationToken cancellationToken)
    {
        await using var source = File.OpenRead(local);
        await source.CopyToAsync(destination, cancellationToken);
    }

    private static SpecException Taken(RegistryKind kind, RegistryName name) =>
        new("name", $"{kind.Field()} '{name}' already exists in the registry: entries are never overwritten, push under a new name (e.g. '{name}@2')");
}
