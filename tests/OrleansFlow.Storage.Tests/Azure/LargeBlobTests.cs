using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using OrleansFlow.Storage.Azure;
using Xunit.Abstractions;

namespace OrleansFlow.Storage.Tests.Azure;

[Collection(AzuriteCollection.Name)]
public sealed class LargeBlobTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const int Chunk = 1 << 20;
    private const int Chunks = 200;

    [Fact]
    public async Task Create_200MegabyteShard_UploadedInBlocksAndReadBackIdentical()
    {
        var handler = new FaultInjectingHandler();
        var store = await azurite.NewContainerAsync(AzuriteFixture.FastOptions(handler));
        using var written = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var writtenMd5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var upload = Stopwatch.StartNew();

        // Streamed: the writer produces 1 MiB at a time; the store holds at most MaxConcurrency blocks.
        var outcome = await store.CreateAsync("jobs/big/shards/00000.safetensors", async (stream, ct) =>
        {
            var buffer = new byte[Chunk];
            for (var i = 0; i < Chunks; i++)
            {
                Fill(buffer, i);
                written.AppendData(buffer);
                writtenMd5.AppendData(buffer);
                await stream.WriteAsync(buffer, ct);
            }
        }, default);

        upload.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(BlobCreateOutcome.Created, outcome);
        var blockSize = store.Options.BlockSize;
        Assert.Equal((Chunks * (long)Chunk + blockSize - 1) / blockSize, handler.Count(BlobOperation.PutBlock));
        Assert.Equal(1, handler.Count(BlobOperation.PutBlockList));

        var download = Stopwatch.StartNew();
        using var read = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        await using (var stream = await store.OpenReadAsync("jobs/big/shards/00000.safetensors", default))
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                read.AppendData(buffer, 0, n);
                length += n;
            }
        }

        download.Stop();
        Assert.Equal(Chunks * (long)Chunk, length);
        Assert.Equal(Convert.ToHexString(written.GetHashAndReset()), Convert.ToHexString(read.GetHashAndReset()));
        var properties = await store.GetPropertiesAsync("jobs/big/shards/00000.safetensors", default);
        Assert.Equal(writtenMd5.GetHashAndReset(), properties!.ContentHash);

        var megabytes = Chunks * (double)Chunk / 1e6;
        output.WriteLine($"200 MiB ({megabytes:F0} MB) in {handler.Count(BlobOperation.PutBlock)} blocks of {blockSize >> 20} MiB: " +
            $"upload {upload.Elapsed.TotalSeconds:F2} s ({megabytes / upload.Elapsed.TotalSeconds:F0} MB/s), " +
            $"download {download.Elapsed.TotalSeconds:F2} s ({megabytes / download.Elapsed.TotalSeconds:F0} MB/s), " +
            $"managed allocations during upload {allocated / 1e6:F0} MB");
    }

    /// <summary>Deterministic, incompressible-looking content: xorshift64 seeded by the chunk index.</summary>
    private static void Fill(byte[] buffer, int chunk)
    {
        var state = 0x9E3779B97F4A7C15UL ^ (ulong)(chunk + 1);
        for (var offset = 0; offset < buffer.Length; offset += 8)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(offset), state);
        }
    }
}
