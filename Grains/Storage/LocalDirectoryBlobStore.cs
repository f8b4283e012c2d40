using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansFlow.Storage;

/// <summary>
/// Blobs as files under a root directory. A write goes to a temporary file in the root's
/// <c>.tmp/</c> folder and is moved into place without overwrite, so readers never see a partial file
/// and a finished blob is never replaced, even by a concurrent writer of the same name.
/// </summary>
public sealed partial class LocalDirectoryBlobStore : IBlobStore
{
    public const string TemporaryFolder = ".tmp";

    private const int AlreadyExists = 17; // EEXIST

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
            return PublishWithoutOverwrite(temporary, path);
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

    /// <summary>
    /// Makes the finished temporary file visible under <paramref name="path"/> unless a file is there:
    /// one atomic step, so of concurrent writers exactly one wins. On Unix that is link(2), which fails
    /// with EEXIST; File.Move without overwrite checks and renames in two steps, which two writers
    /// can both pass (seen in a test with 16 writers).
    /// </summary>
    private static bool PublishWithoutOverwrite(string temporary, string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            if (Link(temporary, path) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == AlreadyExists
                ? false
                : throw new IOException($"cannot publish '{path}': link failed with errno {errno}");
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string created);

    private string PathOf(string name) => Path.Combine(_root, BlobName.Validate(name).Replace('/', Path.DirectorySeparatorChar));
}
