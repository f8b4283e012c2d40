using System.Runtime.CompilerServices;

namespace OrleansFlow.Storage;

/// <summary>
/// Blobs as files under a root directory. A write goes to a temporary file in the root's
/// <c>.tmp/</c> folder and is moved into place without overwrite, so readers never see a partial file
/// and a finished blob is never replaced, even by a concurrent writer of the same name.
/// </summary>
public sealed class LocalDirectoryBlobStore : IBlobStore
{
    public const string TemporaryFolder = ".tmp";

    private readonly string _root;

    public LocalDirectoryBlobStore(string root)
    {
        _root = Path.GetFullPath(root);
    }

    public string Location => _root;

    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PathOf(name)));

    public async Task<bool> TryCreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        if (File.Exists(path))
        {
            return false;
        }

        var temporary = Path.Combine(_root, TemporaryFolder, $"{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                // Durable before it becomes visible: a crash after the rename must not leave an empty file.
                stream.Flush(flushToDisk: true);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                // Without overwrite .NET links the file into place, which fails if the target exists.
                File.Move(temporary, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"blob '{name}' does not exist in {_root}", path);
        }

        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            yield break;
        }

        var names = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(name => !name.StartsWith(TemporaryFolder + "/", StringComparison.Ordinal) && name.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return name;
        }

        await Task.CompletedTask;
    }

    private string PathOf(string name) => Path.Combine(_root, BlobName.Validate(name).Replace('/', Path.DirectorySeparatorChar));
}
