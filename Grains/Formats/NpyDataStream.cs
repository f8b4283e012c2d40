namespace OrleansFlow.Formats;

/// <summary>
/// Write-only stream for one array's data inside an .npz entry: refuses bytes beyond the shape and,
/// when disposed, reports an array left short, so a half-written array never passes silently.
/// </summary>
internal sealed class NpyDataStream(Stream entry, string arrayName, long expectedBytes) : Stream
{
    private long _written;
    private bool _disposed;

    public string ArrayName { get; } = arrayName;

    public bool IsDisposed => _disposed;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_disposed;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length > expectedBytes - _written)
        {
            throw new InvalidOperationException(
                $"Array '{ArrayName}' takes {expectedBytes} data bytes; writing {buffer.Length} more after {_written} would overrun its shape.");
        }

        entry.Write(buffer);
        _written += buffer.Length;
    }

    public override void Flush() => entry.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            base.Dispose(disposing);
            return;
        }

        _disposed = true;
        entry.Dispose();
        base.Dispose(disposing);
        if (_written != expectedBytes)
        {
            throw new InvalidDataException(
                $"Array '{ArrayName}' was finished after {_written} of its {expectedBytes} data bytes; the .npz is incomplete.");
        }
    }
}
