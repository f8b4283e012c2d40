using System.Text;
using Azure;
using Azure.Storage.Sas;
using OrleansFlow.Storage.Azure;

namespace OrleansFlow.Storage.Tests.Azure;

/// <summary>
/// Service SAS scopes, enforced by Azurite (REFERENCES scenario 18). Azurite has no prefix-scoped
/// (directory) SAS outside ADLS, so a writer's narrowest grant is a blob SAS on the one shard name.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureSasTests(AzuriteFixture azurite)
{
    private const string ShardName = "jobs/j1/shards/00001.bin";

    [Fact]
    public async Task BlobSas_CreateWrite_WritesItsBlobAndNothingElse()
    {
        var admin = await azurite.NewContainerAsync();
        var writer = SasStore(admin, admin.GetBlobSasUri(ShardName, BlobSasPermissions.Create | BlobSasPermissions.Write, DateTimeOffset.UtcNow.AddMinutes(5)));

        Assert.True(await writer.TryCreateAsync(ShardName, Encoding.UTF8.GetBytes("shard"), default));

        var forbidden = new List<Func<Task>>
        {
            () => writer.TryCreateAsync("jobs/j1/shards/00002.bin", new byte[1], default),
            () => writer.TryCreateAsync("jobs/j2/shards/00001.bin", new byte[1], default),
            () => writer.TryCreateAsync("summary.json", new byte[1], default),
            () => writer.OpenReadAsync(ShardName, default),
            () => writer.ExistsAsync(ShardName, default),
            async () => await writer.ListAsync("jobs/", default).ToListAsync(),
        };
        var succeeded = 0;
        foreach (var operation in forbidden)
        {
            try
            {
                await operation();
                succeeded++;
            }
            catch (RequestFailedException error)
            {
                Assert.Equal(403, error.Status);
            }
        }

        Assert.Equal(0, succeeded);
        Assert.Equal([ShardName], await admin.ListAsync("", default).ToListAsync());
    }

    [Fact]
    public async Task BlobSas_CreateWriteOnly_UploadsBlocksButCannotCheckAnExistingBlob()
    {
        var admin = await azurite.NewContainerAsync();
        var options = AzuriteFixture.FastOptions();
        options.BlockSize = 64 << 10;
        var writer = AzureBlobStore.FromSasUri(new Uri(admin.Location + admin.GetBlobSasUri(ShardName, BlobSasPermissions.Create | BlobSasPermissions.Write, DateTimeOffset.UtcNow.AddMinutes(5)).Query), options);
        var content = new byte[(3 << 16) + 1];
        Random.Shared.NextBytes(content);

        Assert.Equal(BlobCreateOutcome.Created, await writer.CreateAsync(ShardName, content, default));
        // Without 'r' the stored MD5 cannot be read, so even the same bytes count as unverifiable.
        Assert.Equal(BlobCreateOutcome.AlreadyDifferent, await writer.CreateAsync(ShardName, content, default));

        Assert.Equal(content, await admin.ReadAllBytesAsync(ShardName, default));
    }

    [Fact]
    public async Task BlobSas_WithRead_RetriedWriteRecognisedByHash()
    {
        var admin = await azurite.NewContainerAsync();
        var writer = SasStore(admin, admin.GetBlobSasUri(ShardName, BlobSasPermissions.Read | BlobSasPermissions.Create | BlobSasPermissions.Write, DateTimeOffset.UtcNow.AddMinutes(5)));
        var content = Encoding.UTF8.GetBytes("shard");

        Assert.Equal(BlobCreateOutcome.Created, await writer.CreateAsync(ShardName, content, default));
        Assert.Equal(BlobCreateOutcome.AlreadyIdentical, await writer.CreateAsync(ShardName, content, default));
        Assert.Equal(BlobCreateOutcome.AlreadyDifferent, await writer.CreateAsync(ShardName, Encoding.UTF8.GetBytes("other"), default));
    }

    [Fact]
    public async Task ContainerSas_ReadList_CannotCreate()
    {
        var admin = await azurite.NewContainerAsync();
        await admin.TryCreateAsync("jobs/j1/summary.json", Encoding.UTF8.GetBytes("{}"), default);
        var reader = SasStore(admin, admin.GetContainerSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddMinutes(5)));

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => reader.TryCreateAsync("jobs/j1/evil.bin", new byte[1], default));

        Assert.Equal(403, error.Status);
        Assert.Equal(["jobs/j1/summary.json"], await reader.ListAsync("jobs/", default).ToListAsync());
        Assert.Equal("{}", Encoding.UTF8.GetString(await reader.ReadAllBytesAsync("jobs/j1/summary.json", default)));
        Assert.False(await admin.ExistsAsync("jobs/j1/evil.bin", default));
    }

    [Fact]
    public async Task ContainerSas_Expired_Forbidden()
    {
        var admin = await azurite.NewContainerAsync();
        var expired = SasStore(admin, admin.GetContainerSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddMinutes(-1)));

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => expired.TryCreateAsync("x.bin", new byte[1], default));

        Assert.Equal(403, error.Status);
    }

    [Fact]
    public async Task ContainerSas_TamperedSignature_Forbidden()
    {
        var admin = await azurite.NewContainerAsync();
        var sas = admin.GetContainerSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddMinutes(5));
        // Widening the permissions breaks the signature.
        var widened = SasStore(admin, new Uri(sas.AbsoluteUri.Replace("sp=rl", "sp=rcwl", StringComparison.Ordinal)));

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => widened.TryCreateAsync("x.bin", new byte[1], default));

        Assert.Equal(403, error.Status);
    }

    /// <summary>A store on the admin's container with only the SAS of <paramref name="sasUri"/> (a blob's or the container's).</summary>
    private static AzureBlobStore SasStore(AzureBlobStore admin, Uri sasUri) =>
        AzureBlobStore.FromSasUri(new Uri(admin.Location + sasUri.Query), AzuriteFixture.FastOptions());
}
