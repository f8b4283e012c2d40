namespace OrleansFlow.Cluster.Tests;

/// <summary>The contract on the embedded mode's store.</summary>
public sealed class InMemoryClusterStoreContractTests : ClusterStoreContractTests
{
    protected override Task<IClusterStore> CreateStoreAsync(TimeProvider clock) =>
        Task.FromResult<IClusterStore>(new InMemoryClusterStore(clock));
}
