using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;

namespace OrleansFlow.Storage.Azure;

/// <summary>
/// The stream a writer fills during <see cref="AzureBlobStore.CreateAsync"/>. Content up to one block
/// is kept and sent as one Put Blob at commit. Past one block it first asks whether the blob already
/// exists (if so it only hashes the rest, to tell identical from different content without uploading),
/// then sends each full block as a Put Block (up to MaxConcurrency in flight from async writes) and at
/// commit a Put Block List naming exactly this upload's blocks. Block ids carry a random upload id, so
/// concurrent writers of one name never commit each other's blocks.
/// </summary>
internal sealed class BlobUploadStream : Stream
{
    private const int MaxCommitRounds = 3;

    private static readonly ResponseClassifier BlockClassifier = new StatusCodeClassifier([201]);

    private readonly AzureBlobStore _store;
    private readonly string _name;
    private readonly CancellationToken _cancellationToken;
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly byte[] _uploadId = Guid.NewGuid().ToByteArray();
    private readonly List<string> _blockIds = [];
    private readonly Queue<Task> _inFlight = new();
    private byte[]? _buffer;
    private int _filled;
    private long _length;
    private bool _blocks;
    private AzureBlobProperties? _existing;
    private bool _committed;
    private bool _disposed;

    public BlobUploadStream(AzureBlobStore store, string name, CancellationToken cancellationToken)
    {
        _store = store;
        _name = name;
        _cancellationToken = cancellationToken;
    }

    private int BlockSize => _store.Options.BlockSize;

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

        Func<HttpMessage> createCommit;
        if (!_blocks)
        {
            var content = new ReadOnlyMemory<byte>(_buffer ?? [], 0, _filled);
            createCommit = () =>
            {
                var put = _store.CreateMessage(RequestMethod.Put, _name, null, null);
                put.Request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
                put.Request.Headers.SetValue("Content-MD5", Convert.ToBase64String(md5));
                put.Request.Content = RequestContent.Create(content);
                return put;
            };
        }
        else
        {
            if (_filled > 0)
            {
                await FlushBlockAsync(async: true, cancellationToken);
            }

            while (_inFlight.Count > 0)
            {
                await _inFlight.Dequeue();
            }

            var blockList = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
            foreach (var id in _blockIds)
            {
                blockList.Append("<Latest>").Append(id).Append("</Latest>");
            }

            var body = Encoding.UTF8.GetBytes(blockList.Append("</BlockList>").ToString());
            createCommit = () =>
            {
                var commit = _store.CreateMessage(RequestMethod.Put, _name, "comp=blocklist", null);
                commit.Request.Headers.SetValue("x-ms-blob-content-md5", Convert.ToBase64String(md5));
                commit.Request.Headers.SetValue("Content-MD5", Convert.ToBase64String(MD5.HashData(body)));
                commit.Request.Headers.SetValue(HttpHeader.Names.ContentType, "application/xml");
                commit.Request.Content = RequestContent.Create(body);
                return commit;
            };
        }

        for (var round = 1; ; round++)
        {
            using var message = createCommit();
            // The commit's precondition: only if no blob of this name exists (also on Put Block List,
            // so blocks can never replace a blob committed while they were uploading).
            message.Request.Headers.SetValue(HttpHeader.Names.IfNoneMatch, "*");
            message.ResponseClassifier = AzureBlobStore.CreateClassifier;
            await _store.SendAsync(message, async: true, cancellationToken);
            if (AzureBlobStore.EnsureStatus(message.Response, 201, 409, 412) == 201)
            {
                return BlobCreateOutcome.Created;
            }

            // 409 BlobAlreadyExists (or 412): ours if an earlier attempt of this request went unanswered
            // and the blob now holds exactly our bytes (azure-sdk-for-net #16625).
            var ownAttemptLanded = message.TryGetProperty(AzureBlobStore.AttemptProperty, out var attempt) && attempt is > 1;
            using var head = _store.CreateMessage(RequestMethod.Head, _name, null, AzureBlobStore.PropertiesClassifier);
            await _store.SendAsync(head, async: true, cancellationToken);
            if (head.Response.Status == 403)
            {
                // A create/write-only SAS may not read properties: the content cannot be checked.
                return BlobCreateOutcome.AlreadyDifferent;
            }

            if (AzureBlobStore.PropertiesOf(head.Response) is { } existing)
            {
                return Compare(existing, md5, ownAttemptLanded);
            }

            // The conflicting blob is gone by the time we look (deleted meanwhile; Azurite, unlike
            // Azure, also reports a conflict for a name that holds only another writer's uncommitted
            // blocks): no blob is there, so committing again is still a create-only write.
            if (round == MaxCommitRounds)
            {
                throw new IOException($"creating blob '{_name}' in {_store.Location} conflicted {round} times, but the blob is gone each time");
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

    private static BlobCreateOutcome Compare(AzureBlobProperties existing, byte[] md5, bool ownAttemptLanded)
    {
        if (existing.ContentMd5 is null || !existing.ContentMd5.AsSpan().SequenceEqual(md5))
        {
            return BlobCreateOutcome.AlreadyDifferent;
        }

        return ownAttemptLanded ? BlobCreateOutcome.Created : BlobCreateOutcome.AlreadyIdentical;
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
            using var head = _store.CreateMessage(RequestMethod.Head, _name, null, AzureBlobStore.PropertiesClassifier);
            await _store.SendAsync(head, async, cancellationToken);
            // 403: a create/write-only SAS may not read; upload anyway, the commit's precondition still holds.
            _existing = head.Response.Status == 403 ? null : AzureBlobStore.PropertiesOf(head.Response);
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

        while (_inFlight.Count >= _store.Options.MaxConcurrency)
        {
            await _inFlight.Dequeue();
        }

        _inFlight.Enqueue(PutBlockAsync(id, block, length, async: true, cancellationToken).AsTask());
    }

    private async ValueTask PutBlockAsync(string id, byte[] block, int length, bool async, CancellationToken cancellationToken)
    {
        try
        {
            using var message = _store.CreateMessage(RequestMethod.Put, _name, "comp=block&blockid=" + Uri.EscapeDataString(id), BlockClassifier);
            message.Request.Headers.SetValue("Content-MD5", Convert.ToBase64String(MD5.HashData(block.AsSpan(0, length))));
            message.Request.Content = RequestContent.Create(new ReadOnlyMemory<byte>(block, 0, length));
            await _store.SendAsync(message, async, cancellationToken);
            AzureBlobStore.EnsureStatus(message.Response, 201);
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
