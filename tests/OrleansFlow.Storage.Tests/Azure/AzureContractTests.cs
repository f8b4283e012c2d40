namespace OrleansFlow.Storage.Tests.Azure;

[Collection(AzuriteCollection.Name)]
public sealed class AzureContractTests(AzuriteFixture azurite) : BlobStoreContractTests
{
    protected override async Task<IBlobStore> NewStoreAsync() => await azurite.NewContainerAsync();
}
