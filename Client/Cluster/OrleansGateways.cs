using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Orleans.Hosting;
using OrleansFlow.Cluster.Postgres;

namespace OrleansFlow.Client.Cluster;

/// <summary>
/// Where an Orleans client finds the cluster's gateways: the Active silos' gateway ports in the
/// PostgreSQL membership table (<c>--orleans-postgres</c>) or a fixed list (<c>--gateways</c>).
/// <see cref="Option"/> names the option errors are reported against.
/// </summary>
public abstract record OrleansGateways(string Option)
{
    public const string PostgresOption = "orleans-postgres";

    public const string ListOption = "gateways";

    public abstract void Configure(IClientBuilder client);

    /// <summary>A PostgreSQL connection string; its Search Path names the cluster's schema as for the silos.</summary>
    public static OrleansGateways FromPostgres(string connectionString)
    {
        try
        {
            // Resolving the schema parses the string: a malformed one fails here, before any connection.
            OrleansPostgres.SchemaOf(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new SpecException(PostgresOption, e.Message.Split(" (Parameter", 2)[0]);
        }

        return new PostgresMembership(connectionString);
    }

    /// <summary><c>host:port,host:port</c>; host names are resolved now (IPv4 first).</summary>
    public static OrleansGateways FromList(string list)
    {
        var entries = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            throw new SpecException(ListOption, "is empty: give host:port[,host:port...] (the silos' GatewayPort)");
        }

        return new StaticList([.. entries.Select(Endpoint)]);
    }

    private static IPEndPoint Endpoint(string entry)
    {
        var colon = entry.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(entry[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new SpecException(ListOption, $"'{entry}' is not host:port with a port in 1-65535");
        }

        var host = entry[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is null ? throw new SpecException(ListOption, $"host '{host}' has no address") : new IPEndPoint(chosen, port);
        }
        catch (SocketException e)
        {
            throw new SpecException(ListOption, $"host '{host}' does not resolve ({e.SocketErrorCode})");
        }
    }

    private sealed record PostgresMembership(string ConnectionString) : OrleansGateways(PostgresOption)
    {
        public override void Configure(IClientBuilder client) => client.UseOrleansFlowPostgres(ConnectionString);

        // The connection string may hold a password: never print it.
        public override string ToString() => "the PostgreSQL membership table";
    }

    private sealed record StaticList(IPEndPoint[] Endpoints) : OrleansGateways(ListOption)
    {
        public override void Configure(IClientBuilder client) => client.UseStaticClustering(Endpoints);

        public override string ToString() => string.Join(',', Endpoints.Select(e => e.ToString()));
    }
}
