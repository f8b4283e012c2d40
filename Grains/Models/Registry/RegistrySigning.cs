using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OrleansFlow.Storage;

namespace OrleansFlow.Models.Registry;

/// <summary>
/// Signed registry entries (docs/models.md, "Signed entries"). A TorchScript file is code: whoever can
/// write to the store could otherwise choose what a silo runs. <c>models push --sign-key</c> signs the
/// entry's manifest — which holds the size and SHA-256 of every file — with an ECDSA P-256 key (.NET's
/// own <see cref="ECDsa"/>, SHA-256, IEEE P1363 signature), stored create-only beside it as
/// <c>&lt;kind&gt;/&lt;name&gt;/signatures/&lt;key id&gt;.json</c>. An entry may carry one signature per
/// key, which is how keys are rotated.
/// </summary>
public static class RegistrySigning
{
    public const string Algorithm = "ECDSA-P256-SHA256";

    /// <summary>The blob of <paramref name="keyId"/>'s signature of an entry.</summary>
    public static string SignatureName(RegistryKind kind, RegistryName name, string keyId) => $"{kind.Prefix()}/{name}/signatures/{keyId}.json";

    /// <summary>A key's id: the first 16 hex digits of the SHA-256 of its public key (SubjectPublicKeyInfo DER).</summary>
    public static string KeyId(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    /// <summary>A private key from a PEM file (PKCS#8 <c>PRIVATE KEY</c> or SEC1 <c>EC PRIVATE KEY</c>, as openssl writes them).</summary>
    public static ECDsa LoadPrivateKey(string path, string field) => Load(path, field, isPrivate: true);

    /// <summary>A public key from a PEM file (<c>PUBLIC KEY</c>, as <c>openssl ec -pubout</c> writes it).</summary>
    public static ECDsa LoadPublicKey(string path, string field) => Load(path, field, isPrivate: false);

    /// <summary>Signs the manifest's canonical bytes (<see cref="RegistryManifest.ToJson"/>) and stores the signature, create-only.</summary>
    public static async Task<string> SignAsync(IBlobStore store, RegistryManifest manifest, ECDsa key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(key);
        var keyId = KeyId(key);
        var signature = new SignatureFile(Algorithm, keyId, Convert.ToBase64String(key.SignData(manifest.ToJson(), HashAlgorithmName.SHA256)));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(signature, SignatureFile.Json);
        var name = SignatureName(manifest.Kind, RegistryName.Parse(manifest.Name, "name"), keyId);
        var outcome = await store.CreateAsync(name, (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), cancellationToken);
        return outcome == BlobCreateOutcome.AlreadyDifferent
            ? throw new SpecException("name", $"{manifest.Kind.Field()} '{manifest.Name}' already has another signature by key {keyId}")
            : keyId;
    }

    private static ECDsa Load(string path, string field, bool isPrivate)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SpecException(field, $"cannot read the key file '{path}': {e.Message.Split('\n')[0]}");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new SpecException(field, $"'{path}' holds no PEM EC key");
        }

        if (key.KeySize != 256 || (isPrivate && !HasPrivateKey(key)))
        {
            key.Dispose();
            throw new SpecException(field, $"'{path}' is not an ECDSA P-256 {(isPrivate ? "private" : "public")} key");
        }

        return key;
    }

    private static bool HasPrivateKey(ECDsa key)
    {
        try
        {
            key.ExportParameters(includePrivateParameters: true);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal sealed record SignatureFile(string Algorithm, string KeyId, string Signature)
    {
        public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    }
}

/// <summary>
/// The public keys a silo accepts registry entries from (<c>OrleansFlow:RegistryKeys</c>). With any key
/// configured, an entry is used only if its manifest carries a valid signature by one of them; otherwise
/// nothing of it is downloaded or loaded.
/// </summary>
public sealed class RegistryTrust : IDisposable
{
    private readonly Dictionary<string, ECDsa> _keys;

    public RegistryTrust(IEnumerable<ECDsa> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys.ToDictionary(RegistrySigning.KeyId);
        if (_keys.Count == 0)
        {
            throw new ArgumentException("a trust needs at least one key", nameof(keys));
        }
    }

    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Public keys from PEM files, a comma-separated list (a setting); null when the list is empty.</summary>
    public static RegistryTrust? FromFiles(string? files, string setting)
    {
        var paths = (files ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return paths.Length == 0 ? null : new RegistryTrust(paths.Select(p => RegistrySigning.LoadPublicKey(p, setting)).ToList());
    }

    /// <summary>Throws <see cref="SpecException"/> naming the entry's field unless a trusted key signed this manifest.</summary>
    public async Task RequireAsync(IBlobStore store, RegistryManifest manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        var what = $"{manifest.Kind.Field()} '{manifest.Name}'";
        var name = RegistryName.Parse(manifest.Name, manifest.Kind.Field());
        var bytes = manifest.ToJson();
        string? broken = null;
        foreach (var (keyId, key) in _keys)
        {
            byte[] stored;
            try
            {
                await using var stream = await store.OpenReadAsync(RegistrySigning.SignatureName(manifest.Kind, name, keyId), cancellationToken);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken);
                stored = buffer.ToArray();
            }
            catch (FileNotFoundException)
            {
                continue;
            }

            if (Verifies(stored, keyId, key, bytes))
            {
                return;
            }

            broken = keyId;
        }

        throw new SpecException(manifest.Kind.Field(), broken is not null
            ? $"{what} was changed after key {broken} signed it (its manifest no longer matches the signature): refused, nothing loaded"
            : $"{what} is not signed by a key this silo trusts ({string.Join(", ", _keys.Keys)}): refused, nothing loaded (push it with --sign-key, or add a signature with 'orleansflow models sign')");
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }

    private static bool Verifies(byte[] stored, string keyId, ECDsa key, byte[] manifest)
    {
        try
        {
            var file = JsonSerializer.Deserialize<RegistrySigning.SignatureFile>(Encoding.UTF8.GetString(stored), RegistrySigning.SignatureFile.Json);
            return file is { Algorithm: RegistrySigning.Algorithm } && file.KeyId == keyId
                && key.VerifyData(manifest, Convert.FromBase64String(file.Signature), HashAlgorithmName.SHA256);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            return false;
        }
    }
}
