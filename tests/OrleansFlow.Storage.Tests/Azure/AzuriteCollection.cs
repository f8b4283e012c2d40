namespace OrleansFlow.Storage.Tests.Azure;

/// <summary>One Azurite process for every test class that names this collection.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
