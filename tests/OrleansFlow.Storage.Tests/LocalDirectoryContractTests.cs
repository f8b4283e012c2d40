namespace OrleansFlow.Storage.Tests;

public sealed class LocalDirectoryContractTests : BlobStoreContractTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "orleansflow-contract-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    protected override Task<IBlobStore> NewStoreAsync() => Task.FromResult<IBlobStore>(new LocalDirectoryBlobStore(_root));
}
