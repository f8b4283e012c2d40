using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Sas;
using OrleansFlow.Storage.Azure;

namespace OrleansFlow.Storage.Tests.Azure;

[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreTests(AzuriteFixture azurite)
{
    private const int SmallBlock = 64 << 10;

    [Fact]
    public async Task List_MoreThanOnePage_FollowsMarkers()
    {
        var handler = new FaultInjectingHandler();
        var options = AzuriteFixture.FastOptions(handler);
        options.ListPageSize = 3;
        var store = await azurite.NewContainerAsync(options);
        var expected = Enumerable.Range(0, 10).Select(i => $"jobs/j1/shards/{i:D5}.bin").ToList();
        foreach (var name in expected.AsEnumerable().Reverse().Append("jobs/j2/shards/00000.bin").Append("jobs/j10/x"))
        {
            Assert.True(await store.TryCreateAsync(name, Encoding.UTF8.GetBytes(name), default));
        }

        var listed = await ListAsync(store, "jobs/j1/");

        Assert.Equal(expected, listed);
        Assert.Equal(4, handler.Count(BlobOperation.ListBlobs));
    }

    [Fact]
    public async Task Create_LargerThanOneBlock_UploadsBlocksThenOneCommitWithContentMd5()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var content = RandomNumberGenerator.GetBytes(5 * SmallBlock + 123);

        Assert.Equal(BlobCreateOutcome.Created, await store.CreateAsync("big.bin", content, default));

        Assert.Equal(6, handler.Count(BlobOperation.PutBlock));
        Assert.Equal(1, handler.Count(BlobOperation.PutBlockList));
        Assert.Equal(0, handler.Count(BlobOperation.PutBlob));
        Assert.Equal(content, await store.ReadAllBytesAsync("big.bin", default));
        var properties = await store.GetPropertiesAsync("big.bin", default);
        Assert.Equal(content.Length, properties!.ContentLength);
        Assert.Equal(MD5.HashData(content), properties.ContentHash);
    }

    [Fact]
    public async Task Create_EveryUploadRequest_CarriesMd5AndNoCrc64()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var small = RandomNumberGenerator.GetBytes(1000);
        var large = RandomNumberGenerator.GetBytes(2 * SmallBlock + 1);

        Assert.True(await store.TryCreateAsync("small.bin", small, default));
        Assert.True(await store.TryCreateAsync("large.bin", large, default));

        // Content goes out as 1 Put Blob + 3 Put Blocks, each with its MD5; nothing anywhere with CRC64.
        var content = handler.Checksums.Where(request => request.Operation is BlobOperation.PutBlob or BlobOperation.PutBlock).ToList();
        Assert.Equal(4, content.Count);
        Assert.All(content, request => Assert.Equal(["Content-MD5"], request.Headers));
        Assert.All(handler.Checksums, request => Assert.DoesNotContain(request.Headers, name => name != "Content-MD5"));
        Assert.Equal(small, await store.ReadAllBytesAsync("small.bin", default));
        Assert.Equal(large, await store.ReadAllBytesAsync("large.bin", default));
    }

    [Fact]
    public async Task Create_SynchronousWriterOfBlocks_SameResult()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var content = RandomNumberGenerator.GetBytes(3 * SmallBlock + 5);

        Assert.True(await store.TryCreateAsync("sync.bin", (stream, _) =>
        {
            for (var offset = 0; offset < content.Length; offset += 1000)
            {
                stream.Write(content, offset, Math.Min(1000, content.Length - offset));
            }

            return Task.CompletedTask;
        }, default));

        Assert.Equal(4, handler.Count(BlobOperation.PutBlock));
        Assert.Equal(content, await store.ReadAllBytesAsync("sync.bin", default));
    }

    [Fact]
    public async Task Create_ExactlyOneBlock_OnePutBlobWithContentMd5()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var content = RandomNumberGenerator.GetBytes(SmallBlock);

        Assert.True(await store.TryCreateAsync("one.bin", content, default));

        Assert.Equal(1, handler.Count(BlobOperation.PutBlob));
        Assert.Equal(0, handler.Count(BlobOperation.PutBlock));
        Assert.Equal(MD5.HashData(content), (await store.GetPropertiesAsync("one.bin", default))!.ContentHash);
    }

    [Fact]
    public async Task Create_BlobCommittedWhileBlocksUpload_CommitRefusedAndFirstBlobKept()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var rival = AzureBlobStore.FromConnectionString(azurite.ConnectionString, store.ContainerName, AzuriteFixture.FastOptions());
        // The existence check has passed; just before our first block goes out another writer commits.
        // Every Put Block waits for that commit: Azurite (unlike Azure) treats a name that has
        // uncommitted blocks as existing, which would refuse the rival instead.
        var rivalCommitted = new Lazy<Task<bool>>(() => rival.TryCreateAsync("contested.bin", Encoding.UTF8.GetBytes("rival"), default));
        handler.BeforeForward = operation => operation == BlobOperation.PutBlock ? rivalCommitted.Value : Task.CompletedTask;

        var outcome = await store.CreateAsync("contested.bin", async (stream, ct) => await stream.WriteAsync(new byte[5 * SmallBlock], ct), default);

        Assert.True(await rivalCommitted.Value);
        Assert.True(handler.Count(BlobOperation.PutBlock) > 0, "the upload must have gone through blocks");
        Assert.Equal(BlobCreateOutcome.AlreadyDifferent, outcome);
        Assert.Equal("rival", Encoding.UTF8.GetString(await store.ReadAllBytesAsync("contested.bin", default)));
    }

    [Fact]
    public async Task Create_LargeBlobAlreadyThere_NoBlocksUploadedAndRecognisedByHash()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var content = RandomNumberGenerator.GetBytes(4 * SmallBlock);
        Assert.True(await store.TryCreateAsync("done.bin", content, default));
        var blocksBefore = handler.Count(BlobOperation.PutBlock);

        Assert.Equal(BlobCreateOutcome.AlreadyIdentical, await store.CreateAsync("done.bin", content, default));
        var changed = (byte[])content.Clone();
        changed[^1] ^= 1;
        Assert.Equal(BlobCreateOutcome.AlreadyDifferent, await store.CreateAsync("done.bin", changed, default));

        Assert.Equal(blocksBefore, handler.Count(BlobOperation.PutBlock));
        Assert.Equal(1, handler.Count(BlobOperation.PutBlockList));
        Assert.Equal(content, await store.ReadAllBytesAsync("done.bin", default));
    }

    [Theory]
    [InlineData(BlobOperation.PutBlob, 100)]
    [InlineData(BlobOperation.PutBlockList, 5 * SmallBlock)]
    public async Task Create_ResponseLostAfterCommitLanded_RetryRecognisesOwnWrite(BlobOperation commit, int size)
    {
        var handler = new FaultInjectingHandler { Rule = (operation, before) => operation == commit && before == 0 ? Fault.LoseResponse : Fault.None };
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var content = RandomNumberGenerator.GetBytes(size);

        // The pipeline retries the commit, gets 409, and finds this content's MD5 on the blob.
        Assert.Equal(BlobCreateOutcome.Created, await store.CreateAsync("shard.bin", content, default));

        Assert.Equal(2, handler.Count(commit));
        Assert.Equal(content, await store.ReadAllBytesAsync("shard.bin", default));
    }

    [Fact]
    public async Task Create_ResponseLostAndRetriesExhausted_CallerRetryGetsAlreadyIdentical()
    {
        var handler = new FaultInjectingHandler { Rule = (operation, _) => operation == BlobOperation.PutBlockList ? Fault.LoseResponse : Fault.None };
        var options = BlockOptions(handler, maxRetries: 1);
        var store = await azurite.NewContainerAsync(options);
        var content = RandomNumberGenerator.GetBytes(3 * SmallBlock);

        // Retries exhausted: Azure.Core reports every attempt's failure in an AggregateException.
        var error = await Assert.ThrowsAsync<AggregateException>(() => store.CreateAsync("shard.bin", content, default));
        Assert.All(error.InnerExceptions, inner => Assert.IsType<RequestFailedException>(inner));
        handler.Rule = (_, _) => Fault.None;

        // The write had landed: the caller's own retry learns it was already written, byte for byte.
        Assert.Equal(BlobCreateOutcome.AlreadyIdentical, await store.CreateAsync("shard.bin", content, default));
        Assert.False(await store.TryCreateAsync("shard.bin", content, default));
        Assert.Equal(content, await store.ReadAllBytesAsync("shard.bin", default));
    }

    [Fact]
    public async Task Create_CommitNeverReachesService_NoBlobVisibleAfterSomeBlocks()
    {
        var handler = new FaultInjectingHandler { Rule = (operation, _) => operation == BlobOperation.PutBlockList ? Fault.FailBeforeSending : Fault.None };
        var store = await azurite.NewContainerAsync(BlockOptions(handler, maxRetries: 2));

        await Assert.ThrowsAsync<AggregateException>(() => store.CreateAsync("partial.bin", new byte[4 * SmallBlock], default));

        Assert.Equal(4, handler.Count(BlobOperation.PutBlock));
        Assert.Equal(3, handler.Count(BlobOperation.PutBlockList));
        Assert.False(await store.ExistsAsync("partial.bin", default));
        Assert.Empty(await ListAsync(store, ""));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync("partial.bin", default));
    }

    [Fact]
    public async Task Create_WriterFailsAfterSomeBlocks_NoBlobVisibleAndNameStillUsable()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(BlockOptions(handler));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.CreateAsync("partial.bin", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[3 * SmallBlock + 1], ct);
            throw new InvalidOperationException("sampler crashed");
        }, default));

        Assert.Equal(3, handler.Count(BlobOperation.PutBlock));
        Assert.Equal(0, handler.Count(BlobOperation.PutBlockList));
        Assert.False(await store.ExistsAsync("partial.bin", default));
        Assert.Empty(await ListAsync(store, ""));

        // A later attempt (the shard re-run) commits only its own blocks.
        var content = RandomNumberGenerator.GetBytes(2 * SmallBlock + 7);
        Assert.True(await store.TryCreateAsync("partial.bin", content, default));
        Assert.Equal(content, await store.ReadAllBytesAsync("partial.bin", default));
    }

    [Fact]
    public async Task Create_TransientServerErrorsOnBlocks_Retried()
    {
        var handler = new FaultInjectingHandler { Rule = (operation, before) => operation == BlobOperation.PutBlock && before % 2 == 0 ? Fault.FailBeforeSending : Fault.None };
        var store = await azurite.NewContainerAsync(BlockOptions(handler));
        var content = RandomNumberGenerator.GetBytes(3 * SmallBlock + 9);

        Assert.True(await store.TryCreateAsync("flaky.bin", content, default));

        Assert.Equal(content, await store.ReadAllBytesAsync("flaky.bin", default));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/abs")]
    [InlineData("\\x")]
    [InlineData("a/../b")]
    [InlineData("./key")]
    public async Task UnsafeName_RejectedBeforeAnyRequest(string name)
    {
        var handler = new FaultInjectingHandler();
        var store = AzureBlobStore.FromConnectionString(azurite.ConnectionString, AzuriteFixture.NewContainerName(), AzuriteFixture.FastOptions(handler));

        await Assert.ThrowsAsync<ArgumentException>(() => store.TryCreateAsync(name, new byte[1], default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.CreateAsync(name, new byte[1], default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ExistsAsync(name, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(name, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetPropertiesAsync(name, default));
        Assert.Throws<ArgumentException>(() => store.GetBlobSasUri(name, BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(5)));

        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Location_IsContainerUriWithoutSecrets()
    {
        var store = await azurite.NewContainerAsync();

        Assert.Equal($"{azurite.BlobEndpoint}/{store.ContainerName}", store.Location);
        Assert.False(await store.CreateContainerIfNotExistsAsync(default));
    }

    [Fact]
    public async Task SharedKey_WrongKey_Forbidden()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var store = AzureBlobStore.FromConnectionString(
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={wrongKey};BlobEndpoint={azurite.BlobEndpoint}",
            AzuriteFixture.NewContainerName(), AzuriteFixture.FastOptions());

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => store.CreateContainerIfNotExistsAsync(default));

        Assert.Equal(403, error.Status);
    }

    private static AzureBlobStoreOptions BlockOptions(FaultInjectingHandler? handler = null, int maxRetries = 3)
    {
        var options = AzuriteFixture.FastOptions(handler, maxRetries);
        options.BlockSize = SmallBlock;
        return options;
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
