using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;

namespace OrleansFlow.Grains.Tests.Models.Registry;

/// <summary>Small registry entries to push: analytic mixtures (no libtorch needed) and a reference file.</summary>
internal static class RegistryFixtures
{
    /// <summary>A two-class mixture in 1×2×2; <paramref name="shift"/> makes entries with different bytes.</summary>
    public static string Mixture(int shift = 0) => $$"""
        {"shape":[1,2,2], "weights":[0.5,0.5], "means":[[{{1 + shift}},0,0,1],[-1,0,1,0]], "stds":[0.2,0.3], "classes":[0,1]}
        """;

    public static string WriteMixture(string directory, int shift = 0)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"mixture-{shift}.json");
        File.WriteAllText(path, Mixture(shift));
        return path;
    }

    /// <summary>
    /// An entry whose stored <paramref name="file"/> holds other bytes than its manifest describes, as a
    /// blob damaged in the store would (stores are create-only, so it is written that way from the start).
    /// </summary>
    public static async Task PushCorruptAsync(IBlobStore store, RegistryName name, string file, string content, string storedContent)
    {
        var manifest = new RegistryManifest
        {
            Kind = RegistryKind.Model,
            Name = name.Value,
            PushedAt = DateTimeOffset.UnixEpoch,
            Upload = "u1",
            Files = [new RegistryFile(file, content.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content))))],
        };
        await store.TryCreateAsync(ModelRegistry.FileName(manifest, manifest.Files[0]), (s, ct) => s.WriteAsync(System.Text.Encoding.UTF8.GetBytes(storedContent), ct).AsTask(), default);
        await store.TryCreateAsync(ModelRegistry.ManifestName(RegistryKind.Model, name), (s, ct) => s.WriteAsync(manifest.ToJson(), ct).AsTask(), default);
    }
}
