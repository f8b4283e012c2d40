namespace OrleansFlow.Storage;

public static class BlobStoreExtensions
{
    public static Task<bool> TryCreateAsync(this IBlobStore store, string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        store.TryCreateAsync(name, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), cancellationToken);

    public static Task<BlobCreateOutcome> CreateAsync(this IBlobStore store, string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        store.CreateAsync(name, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), cancellationToken);

    public static async Task<byte[]> ReadAllBytesAsync(this IBlobStore store, string name, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(name, cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
