using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// The stream a writer fills during <see cref="AzureBlobStore.CreateAsync"/>. Content up to one block
/// is kept and sent as one Put Blob at commit. Past one block it first asks whether the blob already
/// exists (if so it only hashes the rest, to tell identical from different content without uploading),
/// then stages each full block (up to MaxConcurrency in flight from async writes) and at commit sends
/// a Put Block List naming exactly this upload's blocks. Block ids carry a random upload id, so
/// concurrent writers of one name never commit each other's blocks. The SDK's own uploaders
/// (<c>BlobClient.UploadAsync</c>, <c>OpenWriteAsync</c>) take a finished stream or cannot commit
/// create-only, and none skips an upload whose blob already exists.
/// </summary>
internal sealed class BlobUploadStream : Stream
{
    private const int MaxCommitRounds = 3;

    /// <summary>The largest Put Blob the service takes (5000 MiB); content here is at most one block.</summary>
    private const long MaxPutBlobBytes = 5000L << 20;

    private static readonly BlobRequestConditions CreateOnly = new() { IfNoneMatch = ETag.All };

    private readonly BlockBlobClient _blob;
    private readonly AzureBlobStoreOptions _options;
    private readonly CancellationToken _cancellationToken;
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly byte[] _uploadId = Guid.NewGuid().ToByteArray();
    private readonly List<string> _blockIds = [];
    private readonly Queue<Task> _inFlight = new();
    private byte[]? _buffer;
    private int _filled;
    private long _length;
    private bool _blocks;
    private BlobProperties? _existing;
    private bool _committed;
    private bool _disposed;

    public BlobUploadStream(BlockBlobClient blob, AzureBlobStoreOptions options, CancellationToken cancellationToken)
    {
        _blob = blob;
        _options = options;
        _cancellationToken = cancellationToken;
    }

    private int BlockSize => _options.BlockSize;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_committed;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_filled == BlockSize)
            {
#pragma warning disable CA2012 // The synchronous path completes synchronously: it sends with HttpPipeline.Send.
                var flushed = FlushBlockAsync(async: false, _cancellationToken);
#pragma warning restore CA2012
                flushed.GetAwaiter().GetResult();
            }

            buffer = buffer[Append(buffer)..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            // A full buffer is sent only once more content arrives: content of exactly one block is one Put Blob.
            if (_filled == BlockSize)
            {
                await FlushBlockAsync(async: true, cancellationToken);
            }

            buffer = buffer[Append(buffer.Span)..];
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Makes the blob visible (one Put Blob or Put Block List, create-only) and says what happened.</summary>
    public async Task<BlobCreateOutcome> CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _committed = true;
        var md5 = _md5.GetHashAndReset();
        if (_existing is not null)
        {
            return Compare(_existing, md5, ownAttemptLanded: false);
        }

        if (_blocks)
        {
            if (_filled > 0)
            {
                await FlushBlockAsync(async: true, cancellationToken);
            }

            while (_inFlight.Count > 0)
            {
                await _inFlight.Dequeue();
            }
        }

        for (var round = 1; ; round++)
        {
            var attempts = new AttemptCounter();
            try
            {
                using (attempts.Track())
                {
                    await SendCommitAsync(md5, cancellationToken);
                }

                return BlobCreateOutcome.Created;
            }
            catch (RequestFailedException error) when (error.Status is 409 or 412)
            {
                // BlobAlreadyExists (or ConditionNotMet): ours if an earlier attempt of this commit went
                // unanswered and the blob now holds exactly our bytes (azure-sdk-for-net #16625).
            }

            BlobProperties? existing;
            try
            {
                existing = await AzureBlobStore.PropertiesOrNullAsync(_blob, async: true, cancellationToken);
            }
            catch (RequestFailedException error) when (error.Status == 403)
            {
                // A create/write-only SAS may not read properties: the content cannot be checked.
                return BlobCreateOutcome.AlreadyDifferent;
            }

            if (existing is not null)
            {
                return Compare(existing, md5, ownAttemptLanded: attempts.Attempts > 1);
            }

            // The conflicting blob is gone by the time we look (deleted meanwhile; Azurite, unlike
            // Azure, also reports a conflict for a name that holds only another writer's uncommitted
            // blocks): no blob is there, so committing again is still a create-only write.
            if (round == MaxCommitRounds)
            {
                throw new IOException($"creating blob '{_blob.Name}' in {_blob.BlobContainerName} conflicted {round} times, but the blob is gone each time");
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            await DrainAsync();
            Release();
        }

        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            DrainAsync().GetAwaiter().GetResult();
            Release();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// A writer that failed leaves uploads in flight: let them finish so their buffers go back to the
    /// pool. Their blocks stay uncommitted, invisible to List and Get.
    /// </summary>
    private async Task DrainAsync()
    {
        while (_inFlight.Count > 0)
        {
            try
            {
                await _inFlight.Dequeue();
            }
            catch (Exception)
            {
                // The failure already reached the writer or the commit.
            }
        }
    }

    private void Release()
    {
        _disposed = true;
        Return(ref _buffer);
        _md5.Dispose();
    }

    private static BlobCreateOutcome Compare(BlobProperties existing, byte[] md5, bool ownAttemptLanded)
    {
        if (existing.ContentHash is null || !existing.ContentHash.AsSpan().SequenceEqual(md5))
        {
            return BlobCreateOutcome.AlreadyDifferent;
        }

        return ownAttemptLanded ? BlobCreateOutcome.Created : BlobCreateOutcome.AlreadyIdentical;
    }

    /// <summary>
    /// The one create-only commit: Put Blob of the buffered content, or Put Block List of this upload's
    /// blocks. Either stores the whole content's MD5 (only set through <c>HttpHeaders.ContentHash</c>).
    /// </summary>
    private async Task SendCommitAsync(byte[] md5, CancellationToken cancellationToken)
    {
        var headers = new BlobHttpHeaders { ContentHash = md5 };
        if (_blocks)
        {
            await _blob.CommitBlockListAsync(_blockIds, new CommitBlockListOptions { HttpHeaders = headers, Conditions = CreateOnly }, cancellationToken);
            return;
        }

        using var content = new MemoryStream(_buffer ?? [], 0, _filled, writable: false);
        var options = new BlobUploadOptions
        {
            HttpHeaders = headers,
            Conditions = CreateOnly,
            // One Put Blob whatever the size (the SDK partitions content that reaches InitialTransferSize).
            TransferOptions = new StorageTransferOptions { InitialTransferSize = MaxPutBlobBytes, MaximumConcurrency = 1 },
        };
        await _blob.UploadAsync(content, options, cancellationToken);
    }

    private static void Return(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    private int Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _buffer ??= ArrayPool<byte>.Shared.Rent(BlockSize);
        var taken = Math.Min(data.Length, BlockSize - _filled);
        data[..taken].CopyTo(_buffer.AsSpan(_filled));
        _md5.AppendData(data[..taken]);
        _filled += taken;
        _length += taken;
        return taken;
    }

    /// <summary>Sends the full buffer as the next block (or, once the blob is known to exist, drops it).</summary>
    private async ValueTask FlushBlockAsync(bool async, CancellationToken cancellationToken)
    {
        if (!_blocks)
        {
            // Larger than one Put Blob: if the blob is already there, do not upload it again.
            _blocks = true;
            try
            {
                _existing = await AzureBlobStore.PropertiesOrNullAsync(_blob, async, cancellationToken);
            }
            catch (RequestFailedException error) when (error.Status == 403)
            {
                // A create/write-only SAS may not read: upload anyway, the commit's precondition still holds.
            }
        }

        if (_existing is not null)
        {
            _filled = 0;
            return;
        }

        var id = BlockId(_blockIds.Count);
        _blockIds.Add(id);
        var block = _buffer!;
        var length = _filled;
        _buffer = null;
        _filled = 0;
        if (!async)
        {
            await PutBlockAsync(id, block, length, async: false, cancellationToken);
            return;
        }

        while (_inFlight.Count >= _options.MaxConcurrency)
        {
            await _inFlight.Dequeue();
        }

        _inFlight.Enqueue(PutBlockAsync(id, block, length, async: true, cancellationToken).AsTask());
    }

    private async ValueTask PutBlockAsync(string id, byte[] block, int length, bool async, CancellationToken cancellationToken)
    {
        try
        {
            // Seekable, so the SDK's retries can resend it; its MD5 is the transfer validation's.
            using var content = new MemoryStream(block, 0, length, writable: false);
            var options = new BlockBlobStageBlockOptions();
            if (async)
            {
                await _blob.StageBlockAsync(id, content, options, cancellationToken);
            }
            else
            {
                _blob.StageBlock(id, content, options, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Base64 of (upload id, block index): all ids of a blob have the same length, as the service requires.</summary>
    private string BlockId(int index)
    {
        Span<byte> raw = stackalloc byte[20];
        _uploadId.CopyTo(raw);
        BinaryPrimitives.WriteInt32BigEndian(raw[16..], index);
        return Convert.ToBase64String(raw);
    }

}
