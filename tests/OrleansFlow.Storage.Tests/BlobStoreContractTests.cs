using System.Text;

namespace OrleansFlow.Storage.Tests;

/// <summary>
/// The <see cref="IBlobStore"/> contract, run against every implementation (a local directory and
/// Azure Blob storage on Azurite): same inputs, same observable results.
/// </summary>
public abstract class BlobStoreContractTests
{
    protected abstract Task<IBlobStore> NewStoreAsync();

    [Fact]
    public async Task TryCreate_NewName_WritesAndReadsBack()
    {
        var store = await NewStoreAsync();

        Assert.True(await store.TryCreateAsync("jobs/a/shards/00001.npz", Encoding.UTF8.GetBytes("first"), default));

        Assert.True(await store.ExistsAsync("jobs/a/shards/00001.npz", default));
        Assert.False(await store.ExistsAsync("jobs/a/shards/00002.npz", default));
        Assert.Equal("first", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("jobs/a/shards/00001.npz", default)));
    }

    [Fact]
    public async Task TryCreate_EmptyContent_CreatesEmptyBlob()
    {
        var store = await NewStoreAsync();

        Assert.True(await store.TryCreateAsync("empty.bin", ReadOnlyMemory<byte>.Empty, default));

        Assert.Empty(await store.ReadAllBytesAsync("empty.bin", default));
    }

    [Fact]
    public async Task TryCreate_ExistingName_ReturnsFalseAndKeepsFirstContent()
    {
        var store = await NewStoreAsync();
        await store.TryCreateAsync("x.bin", Encoding.UTF8.GetBytes("first"), default);

        Assert.False(await store.TryCreateAsync("x.bin", Encoding.UTF8.GetBytes("second"), default));

        Assert.Equal("first", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("x.bin", default)));
    }

    [Fact]
    public async Task Create_ExistingName_TellsIdenticalFromDifferentContent()
    {
        var store = await NewStoreAsync();
        Assert.Equal(BlobCreateOutcome.Created, await store.CreateAsync("s.bin", Encoding.UTF8.GetBytes("shard"), default));

        Assert.Equal(BlobCreateOutcome.AlreadyIdentical, await store.CreateAsync("s.bin", Encoding.UTF8.GetBytes("shard"), default));
        Assert.Equal(BlobCreateOutcome.AlreadyDifferent, await store.CreateAsync("s.bin", Encoding.UTF8.GetBytes("other"), default));

        Assert.Equal("shard", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("s.bin", default)));
    }

    [Fact]
    public async Task TryCreate_ConcurrentWritersOfOneName_ExactlyOneWins()
    {
        var store = await NewStoreAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => store.TryCreateAsync("race.txt", Encoding.UTF8.GetBytes($"writer {i}"), default))));

        Assert.Equal(1, results.Count(won => won));
        var winner = Array.IndexOf(results, true);
        Assert.Equal($"writer {winner}", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("race.txt", default)));
    }

    [Fact]
    public async Task TryCreate_WriterThrowsMidway_NoPartialBlobVisible()
    {
        var store = await NewStoreAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.TryCreateAsync("partial.bin", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[1000], ct);
            throw new InvalidOperationException("disk gone");
        }, default));

        Assert.False(await store.ExistsAsync("partial.bin", default));
        Assert.Empty(await ListAsync(store, ""));
    }

    [Fact]
    public async Task List_Prefix_OrdinalOrder()
    {
        var store = await NewStoreAsync();
        foreach (var name in new[] { "shards/00002.npz", "shards/00000.npz", "shards-old/x", "summary.json", "shards/00001/a" })
        {
            await store.TryCreateAsync(name, new byte[] { 1 }, default);
        }

        Assert.Equal(["shards/00000.npz", "shards/00001/a", "shards/00002.npz"], await ListAsync(store, "shards/"));
        Assert.Equal(5, (await ListAsync(store, "")).Count);
        Assert.Empty(await ListAsync(store, "nothing/"));
    }

    [Fact]
    public async Task Names_PercentAndSpaces_StayLiteralAndDistinct()
    {
        var store = await NewStoreAsync();

        Assert.True(await store.TryCreateAsync("a/%2e%2e/b", Encoding.UTF8.GetBytes("percent"), default));
        Assert.True(await store.TryCreateAsync("a/b", Encoding.UTF8.GetBytes("plain"), default));
        Assert.True(await store.TryCreateAsync("a/c d+e?f#g", Encoding.UTF8.GetBytes("odd"), default));

        Assert.Equal("percent", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("a/%2e%2e/b", default)));
        Assert.Equal("plain", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("a/b", default)));
        Assert.Equal("odd", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("a/c d+e?f#g", default)));
        Assert.Equal(["a/%2e%2e/b", "a/b", "a/c d+e?f#g"], await ListAsync(store, "a/"));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("\\windows")]
    [InlineData("a\\b")]
    [InlineData("./x")]
    [InlineData("a/./x")]
    [InlineData("a//b")]
    [InlineData("dir/")]
    [InlineData("dir/x.")]
    [InlineData("a\nb")]
    [InlineData("")]
    public async Task UnsafeName_RejectedByEveryOperation(string name)
    {
        var store = await NewStoreAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.TryCreateAsync(name, new byte[] { 1 }, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ExistsAsync(name, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(name, default));
    }

    [Fact]
    public async Task OpenRead_Missing_FileNotFoundNamingTheBlob()
    {
        var store = await NewStoreAsync();

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync("nope.bin", default));

        Assert.Contains("nope.bin", error.Message);
    }

    protected static async Task<List<string>> ListAsync(IBlobStore store, string prefix)
    {
        var names = new List<string>();
        await foreach (var name in store.ListAsync(prefix, default))
        {
            names.Add(name);
        }

        return names;
    }
}
