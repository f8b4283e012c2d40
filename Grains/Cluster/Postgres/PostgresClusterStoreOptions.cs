namespace OrleansFlow.Cluster.Postgres;

/// <summary>Where the cluster store lives: a PostgreSQL database and a schema in it.</summary>
public sealed record PostgresClusterStoreOptions
{
    /// <summary>An Npgsql connection string (<c>OrleansFlow:Postgres</c>).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>The schema of the store's tables (lowercase letters, digits, '_'); created by <see cref="PostgresClusterStore.MigrateAsync"/>.</summary>
    public string Schema { get; init; } = "orleansflow";

    /// <summary>
    /// Tests only: a clock passed to every statement as <c>@now</c> in place of the database's
    /// <c>now()</c>. Null (always, in production) judges leases by the database clock.
    /// </summary>
    public TimeProvider? Clock { get; init; }
}
