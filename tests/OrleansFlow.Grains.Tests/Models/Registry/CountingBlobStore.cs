using System.Collections.Concurrent;
using OrleansFlow.Storage;

namespace OrleansFlow.Grains.Tests.Models.Registry;

/// <summary>A real store that also counts the reads of each blob (to prove a download happened once).</summary>
internal sealed class CountingBlobStore(IBlobStore inner) : IBlobStore
{
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);

    public string Location => inner.Location;

    public int Reads(Func<string, bool> which) => _reads.Where(r => which(r.Key)).Sum(r => r.Value);

    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) => inner.ExistsAsync(name, cancellationToken);

    public Task<bool> TryCreateAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        inner.TryCreateAsync(name, write, cancellationToken);

    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        _reads.AddOrUpdate(name, 1, (_, n) => n + 1);
        return inner.OpenReadAsync(name, cancellationToken);
    }

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);
}
