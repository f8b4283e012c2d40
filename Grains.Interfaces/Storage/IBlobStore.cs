namespace OrleansFlow.Storage;

/// <summary>
/// Where samples, shards, statistics and summaries go. Writes are create-only and atomic: a blob is
/// either absent or complete, and a finished blob is never overwritten.
/// </summary>
public interface IBlobStore
{
    /// <summary>Where the blobs live, for messages (a directory path or a container URI).</summary>
    string Location { get; }

    /// <summary>Whether the blob exists.</summary>
    Task<bool> ExistsAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the blob with the bytes <paramref name="write"/> produces, atomically; returns false and
    /// leaves the existing blob untouched if one is already there.
    /// </summary>
    Task<bool> TryCreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="TryCreateAsync"/> that also tells a caller retrying its own write whether the blob it
    /// found holds the same content (by MD5) or different content. The existing blob is never touched.
    /// </summary>
    async Task<BlobCreateOutcome> CreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        if (await TryCreateAsync(name, write, cancellationToken))
        {
            return BlobCreateOutcome.Created;
        }

        var ours = await ContentHash.OfWriterAsync(write, cancellationToken);
        byte[] theirs;
        await using (var existing = await OpenReadAsync(name, cancellationToken))
        {
            theirs = await ContentHash.OfStreamAsync(existing, cancellationToken);
        }

        return ours.SequenceEqual(theirs) ? BlobCreateOutcome.AlreadyIdentical : BlobCreateOutcome.AlreadyDifferent;
    }

    /// <summary>Opens a blob for reading; throws <see cref="FileNotFoundException"/> if it does not exist.</summary>
    Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken);

    /// <summary>Names of the blobs that start with <paramref name="prefix"/>, in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);
}
