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

    /// <summary>Opens a blob for reading; throws <see cref="FileNotFoundException"/> if it does not exist.</summary>
    Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken);

    /// <summary>Names of the blobs that start with <paramref name="prefix"/>, in ordinal order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);
}
