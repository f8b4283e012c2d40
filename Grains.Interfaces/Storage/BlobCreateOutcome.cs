namespace OrleansFlow.Storage;

/// <summary>What a create-only write found; see <see cref="IBlobStore.CreateAsync"/>.</summary>
public enum BlobCreateOutcome
{
    /// <summary>
    /// This call wrote the blob. Also reported when this call's own earlier attempt landed but its
    /// response was lost, and the retry found the blob with this content's MD5.
    /// </summary>
    Created,

    /// <summary>The blob already existed with the same content (same MD5): a retried write that had already succeeded.</summary>
    AlreadyIdentical,

    /// <summary>The blob already existed with different content, or content whose hash cannot be checked; it was left untouched.</summary>
    AlreadyDifferent,
}
