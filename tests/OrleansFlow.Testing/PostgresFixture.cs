namespace OrleansFlow.Testing;

/// <summary>
/// One real PostgreSQL server for every test class of a collection (declare the collection in the
/// test assembly with <c>ICollectionFixture&lt;PostgresFixture&gt;</c>); each test uses its own schema.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
