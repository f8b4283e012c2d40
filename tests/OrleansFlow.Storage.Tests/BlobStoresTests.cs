using System.Text;
using Azure.Storage.Sas;
using OrleansFlow.Storage.Azure;
using OrleansFlow.Storage.Tests.Azure;

namespace OrleansFlow.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class BlobStoresTests(AzuriteFixture azurite)
{
    [Fact]
    public void Create_LocalPath_LocalDirectoryStore()
    {
        var store = BlobStores.Create("out/store");

        var local = Assert.IsType<LocalDirectoryBlobStore>(store);
        Assert.Equal(Path.GetFullPath("out/store"), local.Location);
    }

    [Fact]
    public async Task Create_ConnectionStringAndContainer_AzureStoreThatWorks()
    {
        var container = AzuriteFixture.NewContainerName();
        var store = Assert.IsType<AzureBlobStore>(BlobStores.Create(azurite.ConnectionString, container));
        await store.CreateContainerIfNotExistsAsync(default);

        Assert.True(await store.TryCreateAsync("a.txt", Encoding.UTF8.GetBytes("a"), default));
        Assert.Equal($"{azurite.BlobEndpoint}/{container}", store.Location);
    }

    [Fact]
    public async Task Create_SasUri_AzureStoreWithoutSasInLocation()
    {
        var admin = await azurite.NewContainerAsync();
        var sas = admin.GetContainerSasUri(
            BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.List,
            DateTimeOffset.UtcNow.AddMinutes(5));

        var store = Assert.IsType<AzureBlobStore>(BlobStores.Create(sas.AbsoluteUri));

        Assert.Equal(admin.Location, store.Location);
        Assert.True(await store.TryCreateAsync("jobs/j/x", new byte[] { 1 }, default));
        Assert.Equal(["jobs/j/x"], await store.ListAsync("", default).ToListAsync());
    }

    [Fact]
    public void Create_HttpsUriWithoutSas_AzureAdStore()
    {
        var store = Assert.IsType<AzureBlobStore>(BlobStores.Create("https://account.blob.core.windows.net/samples"));

        Assert.Equal("samples", store.ContainerName);
    }

    [Theory]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/samples")]
    [InlineData("https://account.blob.core.windows.net/Bad_Container")]
    public void Create_UnusableUri_Rejected(string uri)
    {
        Assert.Throws<ArgumentException>(() => BlobStores.Create(uri));
    }

    [Fact]
    public void Create_ConnectionStringWithoutContainer_Rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => BlobStores.Create(azurite.ConnectionString));

        Assert.Contains("StoreContainer", error.Message);
    }

    [Fact]
    public void Create_DevelopmentStorage_AzuriteWellKnownAccount()
    {
        var store = Assert.IsType<AzureBlobStore>(BlobStores.Create("UseDevelopmentStorage=true", "samples"));

        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1/samples", store.Location);
    }

    [Theory]
    [InlineData("AccountName=acct;")]
    [InlineData("nonsense;=")]
    public void Create_IncompleteConnectionString_Rejected(string connectionString)
    {
        Assert.ThrowsAny<FormatException>(() => BlobStores.Create(connectionString, "samples"));
    }
}
