using System.Security.Cryptography;
using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;
using OrleansFlow.Testing;

namespace OrleansFlow.Grains.Tests.Models.Registry;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly ModelRegistry _registry;

    public ModelRegistryTests()
    {
        _registry = new ModelRegistry(new LocalDirectoryBlobStore(_temp.Combine("store")));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Push_PackageDirectory_ManifestListsEveryFileWithSizeAndSha256()
    {
        var package = _temp.Combine("pkg");
        Directory.CreateDirectory(Path.Combine(package, "sub"));
        File.WriteAllText(Path.Combine(package, "model.json"), """{"input_shape":[1,2,2], "files":{"predictor":"sub/weights.pt"}}""");
        File.WriteAllBytes(Path.Combine(package, "sub", "weights.pt"), [.. Enumerable.Range(0, 1000).Select(i => (byte)i)]);

        var pushed = await _registry.PushAsync(RegistryKind.Model, package, RegistryName.Parse("tiny@1", "name"), default);
        var found = await _registry.FindAsync(RegistryKind.Model, RegistryName.Parse("tiny@1", "name"), default);

        Assert.NotNull(found);
        Assert.Equal(["model.json", "sub/weights.pt"], found.Files.Select(f => f.Path));
        Assert.Equal([new FileInfo(Path.Combine(package, "model.json")).Length, 1000L], found.Files.Select(f => f.Size));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(package, "sub", "weights.pt")))), found.Files[1].Sha256);
        Assert.Equal(pushed.Upload, found.Upload);
        Assert.True(File.Exists(_temp.Combine("store", "models", "tiny@1", "manifest.json")));
    }

    [Fact]
    public async Task Push_ExistingName_RefusedAndTheEntryUnchanged()
    {
        var name = RegistryName.Parse("mix", "name");
        var first = await _registry.PushAsync(RegistryKind.Model, RegistryFixtures.WriteMixture(_temp.Combine("a"), 0), name, default);

        var error = await Assert.ThrowsAsync<SpecException>(() => _registry.PushAsync(RegistryKind.Model, RegistryFixtures.WriteMixture(_temp.Combine("b"), 5), name, default));
        var after = await _registry.FindAsync(RegistryKind.Model, name, default);

        Assert.Equal("name", error.Field);
        Assert.Contains("never overwritten", error.Message, StringComparison.Ordinal);
        Assert.Equal(first.Files[0].Sha256, after!.Files[0].Sha256);
    }

    [Fact]
    public async Task Push_SameNameConcurrently_ExactlyOneWins()
    {
        var sources = Enumerable.Range(0, 6).Select(i => RegistryFixtures.WriteMixture(_temp.Combine($"s{i}"), i)).ToList();

        var results = await Task.WhenAll(sources.Select(async source =>
        {
            try
            {
                return await _registry.PushAsync(RegistryKind.Model, source, RegistryName.Parse("race", "name"), default);
            }
            catch (SpecException)
            {
                return null;
            }
        }));
        var stored = await _registry.FindAsync(RegistryKind.Model, RegistryName.Parse("race", "name"), default);

        var winner = Assert.Single(results, r => r is not null)!;
        Assert.Equal(winner.Upload, stored!.Upload);
        Assert.Equal(winner.Files[0].Sha256, stored.Files[0].Sha256);
    }

    [Fact]
    public async Task List_ByKind_ShowsEachEntryOnce()
    {
        await _registry.PushAsync(RegistryKind.Model, RegistryFixtures.WriteMixture(_temp.Combine("m")), RegistryName.Parse("m1", "name"), default);
        await _registry.PushAsync(RegistryKind.Model, RegistryFixtures.WriteMixture(_temp.Combine("m"), 1), RegistryName.Parse("m1@2", "name"), default);
        var npz = _temp.Combine("stats.npz");
        File.WriteAllBytes(npz, [1, 2, 3]);
        await _registry.PushAsync(RegistryKind.Reference, npz, RegistryName.Parse("m1", "name"), default);

        var models = await _registry.ListAsync(RegistryKind.Model, default).Select(m => m.Name).ToListAsync();
        var all = await _registry.ListAsync(null, default).Select(m => $"{m.Kind}:{m.Name}").ToListAsync();

        Assert.Equal(["m1", "m1@2"], models);
        Assert.Equal(["Model:m1", "Model:m1@2", "Reference:m1"], all);
    }

    [Fact]
    public async Task Push_DirectoryWithoutManifestOrMixture_RefusedNamingModel()
    {
        var directory = _temp.Combine("empty-ish");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "weights.pt"), "x");

        var error = await Assert.ThrowsAsync<SpecException>(() => _registry.PushAsync(RegistryKind.Model, directory, RegistryName.Parse("x", "name"), default));

        Assert.Equal("model", error.Field);
        Assert.Empty(await _registry.ListAsync(null, default).ToListAsync());
    }
}
