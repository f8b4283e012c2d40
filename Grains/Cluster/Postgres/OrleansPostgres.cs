using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace OrleansFlow.Cluster.Postgres;

/// <summary>
/// Orleans on the project's PostgreSQL: ADO.NET clustering, reminders and grain storage (Invariant
/// <c>Npgsql</c>) in one schema that migration <c>001_orleans.sql</c> fills with the tables and the
/// <c>OrleansQuery</c> rows the providers read.
/// </summary>
/// <remarks>
/// The schema is the connection string's <c>Search Path</c> (<see cref="DefaultSchema"/> when it has
/// none): the providers' SQL names its tables unqualified, so the search path Npgsql sets on each
/// connection is what points them at one cluster's schema (and gives each test its own cluster).
/// </remarks>
public static class OrleansPostgres
{
    /// <summary>The ADO.NET invariant of Npgsql, by which Orleans finds its <c>DbProviderFactory</c>.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>The grain storage name: <c>[PersistentState("state", OrleansPostgres.StorageName)]</c>.</summary>
    public const string StorageName = "postgres";

    /// <summary>The schema used when the connection string sets no search path.</summary>
    public const string DefaultSchema = "orleansflow";

    /// <summary>
    /// Connections a silo opens to PostgreSQL at most (Npgsql's <c>Maximum Pool Size</c>) when its
    /// connection string sets none: Orleans' membership, reminders and grain storage and the job catalog
    /// share this one pool (see docs/cluster.md for the arithmetic at 50 silos).
    /// </summary>
    public const int DefaultPoolSize = 10;

    /// <summary>
    /// A silo clustered through PostgreSQL, with reminders and the <see cref="StorageName"/> grain
    /// storage there too, and <see cref="MembershipTuning"/>. The schema is migrated when the silo
    /// starts, before any provider reads its queries (concurrent silos wait on the migration lock).
    /// </summary>
    public static ISiloBuilder UseOrleansFlowPostgres(this ISiloBuilder silo, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var (providers, schema) = Resolve(connectionString);
        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = providers;
        });
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = providers;
        });
        silo.AddAdoNetGrainStorage(StorageName, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = providers;
        });
        silo.Configure<ClusterMembershipOptions>(MembershipTuning.Apply);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(services =>
            new PostgresMigrationParticipant(providers, schema, services.GetRequiredService<ILoggerFactory>()));
        return silo;
    }

    /// <summary>A client that finds its gateways in the cluster's membership table (the Active silos' gateway ports).</summary>
    public static IClientBuilder UseOrleansFlowPostgres(this IClientBuilder client, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (providers, _) = Resolve(connectionString);
        client.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = providers;
        });
        return client;
    }

    /// <summary>
    /// The one connection string a silo's providers and job catalog use: <paramref name="connectionString"/>
    /// with its search path resolved (see <see cref="SchemaOf"/>). Npgsql keeps one pool per distinct
    /// string, so everything given this string shares one pool bounded by its <c>Maximum Pool Size</c>.
    /// </summary>
    public static string ProvidersConnectionString(string connectionString) => Resolve(connectionString).ConnectionString;

    /// <summary>
    /// <paramref name="connectionString"/> with <c>Maximum Pool Size</c> = <paramref name="poolSize"/>
    /// (the silo's <c>PostgresPoolSize</c>; a value in the string itself is replaced).
    /// </summary>
    public static string WithPoolSize(string connectionString, int poolSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(poolSize, 1);
        return new NpgsqlConnectionStringBuilder(Parse(connectionString).ConnectionString) { MaxPoolSize = poolSize }.ConnectionString;
    }

    /// <summary><paramref name="connectionString"/> with its search path set to <paramref name="schema"/>.</summary>
    public static string ConnectionString(string connectionString, string schema)
    {
        if (!PostgresMigrator.IsSchemaName(schema))
        {
            throw new ArgumentException(PostgresMigrator.SchemaNameError(schema), nameof(schema));
        }

        return new NpgsqlConnectionStringBuilder(Parse(connectionString).ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>The schema a connection string puts Orleans' tables in.</summary>
    public static string SchemaOf(string connectionString) => Resolve(connectionString).Schema;

    private static (string ConnectionString, string Schema) Resolve(string connectionString)
    {
        var builder = Parse(connectionString);
        var schema = string.IsNullOrWhiteSpace(builder.SearchPath) ? DefaultSchema : builder.SearchPath.Trim();
        if (!PostgresMigrator.IsSchemaName(schema))
        {
            throw new ArgumentException($"Search Path in the PostgreSQL connection string must be one schema: {PostgresMigrator.SchemaNameError(schema)}", nameof(connectionString));
        }

        builder.SearchPath = schema;
        return (builder.ConnectionString, schema);
    }

    private static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException("the PostgreSQL connection string is empty: give Host=...;Username=...;Database=...", nameof(connectionString));
        }

        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"the PostgreSQL connection string is malformed: {e.Message}", nameof(connectionString), e);
        }
    }
}
