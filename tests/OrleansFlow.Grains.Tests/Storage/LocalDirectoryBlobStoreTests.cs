using System.Text;
using OrleansFlow.Storage;

namespace OrleansFlow.Grains.Tests.Storage;

/// <summary>
/// What only the local store does (temporary files and their folder); the contract every blob store
/// keeps is tested on both stores in OrleansFlow.Storage.Tests.
/// </summary>
public sealed class LocalDirectoryBlobStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "orleansflow-blobs-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task TryCreate_WriterThrowsMidway_NoPartialBlobVisible()
    {
        var store = new LocalDirectoryBlobStore(_root);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.TryCreateAsync("partial.bin", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[1000], ct);
            throw new InvalidOperationException("disk gone");
        }, default));

        Assert.False(await store.ExistsAsync("partial.bin", default));
        Assert.Empty(await ListAsync(store, ""));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, LocalDirectoryBlobStore.TemporaryFolder)));
    }

    [Fact]
    public async Task List_Prefix_OrdinalOrderWithoutTemporaryFiles()
    {
        var store = new LocalDirectoryBlobStore(_root);
        foreach (var name in new[] { "shards/00002.npz", "shards/00000.npz", "summary.json" })
        {
            await store.TryCreateAsync(name, new byte[] { 1 }, default);
        }

        Directory.CreateDirectory(Path.Combine(_root, LocalDirectoryBlobStore.TemporaryFolder));
        await File.WriteAllTextAsync(Path.Combine(_root, LocalDirectoryBlobStore.TemporaryFolder, "x.part"), "junk");

        Assert.Equal(["shards/00000.npz", "shards/00002.npz"], await ListAsync(store, "shards/"));
    }

    private static async Task<List<string>> ListAsync(IBlobStore store, string prefix)
    {
        var names = new List<string>();
        await foreach (var name in store.ListAsync(prefix, default))
        {
            names.Add(name);
        }

        return names;
    }
}
