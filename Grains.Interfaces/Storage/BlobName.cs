namespace OrleansFlow.Storage;

/// <summary>
/// Blob names are relative, '/'-separated paths built by OrleansFlow from job and shard ids. Anything
/// that could escape a job's prefix or a local store's root is rejected, whatever its origin.
/// </summary>
public static class BlobName
{
    public static string Validate(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 1024)
        {
            throw new ArgumentException("blob name must have 1-1024 characters", nameof(name));
        }

        if (name[0] is '/' or '\\' || name.Contains('\\') || name.Any(char.IsControl) || name.EndsWith('/'))
        {
            throw new ArgumentException($"blob name '{name}' must be relative, use '/', have no control characters and not end in '/'", nameof(name));
        }

        if (name.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            throw new ArgumentException($"blob name '{name}' has an empty, '.' or '..' segment", nameof(name));
        }

        // Azure Blob storage advises against segments ending in '.', which some URL handling drops.
        if (name.Split('/').Any(segment => segment.EndsWith('.')))
        {
            throw new ArgumentException($"blob name '{name}' has a segment ending in '.'", nameof(name));
        }

        return name;
    }
}
