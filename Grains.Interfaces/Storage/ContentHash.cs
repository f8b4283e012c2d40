using System.Security.Cryptography;

namespace OrleansFlow.Storage;

/// <summary>
/// MD5 of blob content, the hash Azure Blob storage keeps as <c>Content-MD5</c>: it recognises a
/// retried write whose first attempt landed. An integrity check against accidents, not an adversary.
/// </summary>
public static class ContentHash
{
    public static async Task<byte[]> OfWriterAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        await using var sink = new HashingStream();
        await write(sink, cancellationToken);
        return sink.Hash();
    }

    public static async Task<byte[]> OfStreamAsync(Stream stream, CancellationToken cancellationToken) =>
        await MD5.HashDataAsync(stream, cancellationToken);

    /// <summary>A write-only stream that only hashes what is written to it.</summary>
    public sealed class HashingStream : Stream
    {
        private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public byte[] Hash() => _md5.GetHashAndReset();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _md5.AppendData(buffer);
            _length += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _md5.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
