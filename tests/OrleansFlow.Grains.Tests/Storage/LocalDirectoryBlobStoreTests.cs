using System.Text;
using OrleansFlow.Storage;

namespace OrleansFlow.Grains.Tests.Storage;

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
    public async Task TryCreate_NewName_WritesAndReadsBack()
    {
        var store = new LocalDirectoryBlobStore(_root);

        Assert.True(await store.TryCreateAsync("jobs/a/shards/00001.npz", Encoding.UTF8.GetBytes("first"), default));

        Assert.True(await store.ExistsAsync("jobs/a/shards/00001.npz", default));
        Assert.Equal("first", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("jobs/a/shards/00001.npz", default)));
    }

    [Fact]
    public async Task TryCreate_ExistingName_ReturnsFalseAndKeepsFirstContent()
    {
        var store = new LocalDirectoryBlobStore(_root);
        await store.TryCreateAsync("x.bin", Encoding.UTF8.GetBytes("first"), default);

        Assert.False(await store.TryCreateAsync("x.bin", Encoding.UTF8.GetBytes("second"), default));

        Assert.Equal("first", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("x.bin", default)));
    }

    [Fact]
    public async Task TryCreate_ConcurrentWritersOfOneName_ExactlyOneWins()
    {
        var store = new LocalDirectoryBlobStore(_root);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => store.TryCreateAsync("race.txt", Encoding.UTF8.GetBytes($"writer {i}"), default))));

        Assert.Equal(1, results.Count(won => won));
        Assert.StartsWith("writer ", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("race.txt", default)));
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

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("\\windows")]
    [InlineData("a\\b")]
    [InlineData("./x")]
    [InlineData("dir/")]
    [InlineData("")]
    public async Task TryCreate_UnsafeName_Rejected(string name)
    {
        var store = new LocalDirectoryBlobStore(_root);

        await Assert.ThrowsAsync<ArgumentException>(() => store.TryCreateAsync(name, new byte[] { 1 }, default));
    }

    [Fact]
    public async Task OpenRead_Missing_FileNotFoundNamingTheBlob()
    {
        var store = new LocalDirectoryBlobStore(_root);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync("nope.bin", default));

        Assert.Contains("nope.bin", error.Message);
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
