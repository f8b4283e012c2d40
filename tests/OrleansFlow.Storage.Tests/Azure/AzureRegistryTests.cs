using System.Security.Cryptography;
using System.Text;
using OrleansFlow.Models.Registry;

namespace OrleansFlow.Storage.Tests.Azure;

/// <summary>The model registry on a real Azurite container: push, list, a shared checked download, a damaged blob named.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureRegistryTests(AzuriteFixture azurite) : IDisposable
{
    private const string Mixture = """
        {"shape":[1,2,2], "weights":[0.5,0.5], "means":[[1,0,0,1],[-1,0,1,0]], "stds":[0.2,0.3], "classes":[0,1]}
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("orleansflow-azure-registry-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Registry_PushedToAzurite_LoadedByNameWithOneSharedDownloadAndSha256Checked()
    {
        var store = await azurite.NewContainerAsync();
        var registry = new ModelRegistry(store);
        var package = Path.Combine(_root, "pkg");
        Directory.CreateDirectory(Path.Combine(package, "extra"));
        await File.WriteAllTextAsync(Path.Combine(package, ModelRegistry.MixtureFile), Mixture);
        var weights = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(Path.Combine(package, "extra", "notes.bin"), weights);

        await registry.PushAsync(RegistryKind.Model, package, RegistryName.Parse("mix@1", "name"), default);
        var again = await Assert.ThrowsAsync<SpecException>(() => registry.PushAsync(RegistryKind.Model, package, RegistryName.Parse("mix@1", "name"), default));
        var listed = await registry.ListAsync(null, default).Select(m => m.Name).ToListAsync();
        var cache = new ModelCache(registry, new ModelCacheOptions { Root = Path.Combine(_root, "cache") });
        var resolver = new RegistryResolver(cache);
        var entries = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => cache.AcquireAsync(RegistryKind.Model, RegistryName.Parse("mix@1", "name"), default))));
        var model = resolver.LoadModel("mix@1");

        Assert.Equal("name", again.Field);
        Assert.Equal(["mix@1"], listed);
        Assert.Equal(1, cache.Downloads);
        Assert.Equal(weights, await File.ReadAllBytesAsync(entries[0].PathOf("extra/notes.bin")));
        Assert.Equal("mix@1", model.Info.Name);
        Array.ForEach(entries, e => e.Dispose());
    }

    [Fact]
    public async Task Registry_DamagedBlobInAzurite_LoadFailsNamingTheFile_GoodCopyUnderANewNameLoads()
    {
        var store = await azurite.NewContainerAsync();
        var registry = new ModelRegistry(store);
        var manifest = new RegistryManifest
        {
            Kind = RegistryKind.Model,
            Name = "mix",
            PushedAt = DateTimeOffset.UnixEpoch,
            Upload = "u1",
            Files = [new RegistryFile(ModelRegistry.MixtureFile, Mixture.Length, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Mixture))))],
        };
        var damaged = Encoding.UTF8.GetBytes(Mixture.Replace("0.3", "0.9", StringComparison.Ordinal));
        await store.TryCreateAsync(ModelRegistry.FileName(manifest, manifest.Files[0]), (s, ct) => s.WriteAsync(damaged, ct).AsTask(), default);
        await store.TryCreateAsync(ModelRegistry.ManifestName(RegistryKind.Model, RegistryName.Parse("mix", "name")), (s, ct) => s.WriteAsync(manifest.ToJson(), ct).AsTask(), default);
        var resolver = new RegistryResolver(new ModelCache(registry, new ModelCacheOptions { Root = Path.Combine(_root, "cache") }));

        var error = Assert.Throws<SpecException>(() => resolver.LoadModel("mix"));
        var source = Path.Combine(_root, "good.json");
        await File.WriteAllTextAsync(source, Mixture);
        await registry.PushAsync(RegistryKind.Model, source, RegistryName.Parse("mix@2", "name"), default);
        var model = resolver.LoadModel("mix@2");

        Assert.Equal("model", error.Field);
        Assert.Contains("model 'mix': file 'mixture.json' is corrupt", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, model.Info.ClassCount);
    }
}
