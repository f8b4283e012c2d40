using OrleansFlow.Models.Registry;
using OrleansFlow.Storage;
using OrleansFlow.Testing;

namespace OrleansFlow.Grains.Tests.Models.Registry;

public sealed class ModelCacheTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly CountingBlobStore _store;
    private readonly ModelRegistry _registry;

    public ModelCacheTests()
    {
        _store = new CountingBlobStore(new LocalDirectoryBlobStore(_temp.Combine("store")));
        _registry = new ModelRegistry(_store);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Acquire_SixteenConcurrentFirstUses_OneDownloadSharedByAll()
    {
        var name = await PushMixtureAsync("shared", 0);
        var cache = NewCache();

        var entries = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => cache.AcquireAsync(RegistryKind.Model, name, default))));

        Assert.Equal(1, cache.Downloads);
        Assert.Equal(1, _store.Reads(f => f.EndsWith("/mixture.json", StringComparison.Ordinal)));
        Assert.Single(entries.Select(e => e.Directory).Distinct());
        Assert.Equal(RegistryFixtures.Mixture(0), File.ReadAllText(entries[0].PathOf(ModelRegistry.MixtureFile)));
        Array.ForEach(entries, e => e.Dispose());
    }

    [Fact]
    public async Task Acquire_CorruptFile_FailsNamingTheFileAndCachesNothing()
    {
        var name = RegistryName.Parse("bad", "name");
        await RegistryFixtures.PushCorruptAsync(_store, name, "predictor.pt", content: "the real weights", storedContent: "the real weightz");
        var cache = NewCache();

        var error = await Assert.ThrowsAsync<SpecException>(() => cache.AcquireAsync(RegistryKind.Model, name, default));

        Assert.Equal("model", error.Field);
        Assert.Contains("'predictor.pt' is corrupt", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, cache.CachedBytes);
        Assert.False(Directory.Exists(_temp.Combine("cache", "models", "bad")));
        // Not cached as a failure either: the next use fetches again.
        await Assert.ThrowsAsync<SpecException>(() => cache.AcquireAsync(RegistryKind.Model, name, default));
        Assert.Equal(2, cache.Downloads);
    }

    [Fact]
    public async Task Acquire_FileMissingFromTheStore_FailsNamingTheFile()
    {
        var name = await PushMixtureAsync("gone", 0);
        var manifest = (await _registry.FindAsync(RegistryKind.Model, name, default))!;
        File.Delete(_temp.Combine("store", "models", "gone", manifest.Upload, "mixture.json"));

        var error = await Assert.ThrowsAsync<SpecException>(() => NewCache().AcquireAsync(RegistryKind.Model, name, default));

        Assert.Contains("'mixture.json' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acquire_UnknownName_SpecExceptionNamingTheKind()
    {
        var error = await Assert.ThrowsAsync<SpecException>(() => NewCache().AcquireAsync(RegistryKind.Reference, RegistryName.Parse("nope", "reference"), default));

        Assert.Equal("reference", error.Field);
    }

    [Fact]
    public async Task Acquire_BeyondTheBudget_EvictsLeastRecentlyUsedAndDownloadsItAgainNextUse()
    {
        var a = await PushMixtureAsync("a", 0);
        var b = await PushMixtureAsync("b", 1);
        var c = await PushMixtureAsync("c", 2);
        var one = RegistryFixtures.Mixture(0).Length;
        var cache = NewCache(budget: 2 * one + 10);

        (await cache.AcquireAsync(RegistryKind.Model, a, default)).Dispose();
        (await cache.AcquireAsync(RegistryKind.Model, b, default)).Dispose();
        (await cache.AcquireAsync(RegistryKind.Model, a, default)).Dispose(); // a is now more recent than b
        (await cache.AcquireAsync(RegistryKind.Model, c, default)).Dispose();

        Assert.Equal(1, cache.Evictions);
        Assert.False(Directory.Exists(_temp.Combine("cache", "models", "b")));
        Assert.True(Directory.Exists(_temp.Combine("cache", "models", "a")));
        Assert.True(cache.CachedBytes <= 2 * one + 10);
        Assert.Equal(3, cache.Downloads);

        using var again = await cache.AcquireAsync(RegistryKind.Model, b, default);

        Assert.Equal(4, cache.Downloads);
        Assert.Equal(RegistryFixtures.Mixture(1), File.ReadAllText(again.PathOf(ModelRegistry.MixtureFile)));
    }

    [Fact]
    public async Task Acquire_PinnedEntry_NotEvictedUntilReleased()
    {
        var a = await PushMixtureAsync("a", 0);
        var b = await PushMixtureAsync("b", 1);
        var cache = NewCache(budget: RegistryFixtures.Mixture(0).Length);

        var pinned = await cache.AcquireAsync(RegistryKind.Model, a, default);
        using (var other = await cache.AcquireAsync(RegistryKind.Model, b, default))
        {
            Assert.True(File.Exists(pinned.PathOf(ModelRegistry.MixtureFile)));
            Assert.True(File.Exists(other.PathOf(ModelRegistry.MixtureFile)));
        }

        pinned.Dispose();

        Assert.Equal(1, cache.Evictions);
        Assert.True(cache.CachedBytes <= RegistryFixtures.Mixture(0).Length);
    }

    [Fact]
    public async Task NewCache_OverTheSameDirectory_ReusesCheckedEntriesWithoutDownloading()
    {
        var name = await PushMixtureAsync("kept", 0);
        (await NewCache().AcquireAsync(RegistryKind.Model, name, default)).Dispose();
        var restarted = NewCache();

        using var entry = await restarted.AcquireAsync(RegistryKind.Model, name, default);

        Assert.Equal(0, restarted.Downloads);
        Assert.Equal(1, _store.Reads(f => f.EndsWith("/mixture.json", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task LoadModel_ByName_SamplesTheMixtureAndLocalizeFindsTheReference()
    {
        var name = await PushMixtureAsync("mix", 0);
        var npz = _temp.Combine("ref.npz");
        File.WriteAllBytes(npz, [7, 7, 7]);
        await _registry.PushAsync(RegistryKind.Reference, npz, RegistryName.Parse("mix-ref", "name"), default);
        var resolver = new RegistryResolver(NewCache());

        var model = resolver.LoadModel(name.Value);
        var spec = resolver.Localize(new Jobs.JobSpec { Kind = Jobs.JobKind.Fid, Model = "mix", Sampler = OrleansFlow.Sampling.SamplerSpec.Parse("euler:steps=2"), Samples = 4, Reference = "mix-ref" });

        Assert.Equal("mix", model.Info.Name);
        Assert.Equal(2, model.Info.ClassCount);
        Assert.Equal([7, 7, 7], File.ReadAllBytes(spec.Reference!));
        Assert.Equal("mix", spec.Model);
        Assert.Throws<SpecException>(() => resolver.LoadModel("gmm:" + _temp.Combine("a", "mixture-0.json")));
    }

    private ModelCache NewCache(long budget = 1 << 30) => new(_registry, new ModelCacheOptions { Root = _temp.Combine("cache"), BudgetBytes = budget });

    private async Task<RegistryName> PushMixtureAsync(string name, int shift)
    {
        var parsed = RegistryName.Parse(name, "name");
        await _registry.PushAsync(RegistryKind.Model, RegistryFixtures.WriteMixture(_temp.Combine("src-" + name), shift), parsed, default);
        return parsed;
    }
}
