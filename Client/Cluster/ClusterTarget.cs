using System.Globalization;
using OrleansFlow.Cluster;

namespace OrleansFlow.Client.Cluster;

/// <summary>
/// The cluster a job command runs on, from its options: the HTTP API (<c>--cluster URL --token T</c>) or
/// the grains as an Orleans client (<c>--orleans-postgres CONNSTRING</c> or <c>--gateways host:port,...</c>,
/// with <c>--cluster-id</c> and <c>--connect-timeout</c>). Null from <see cref="From"/> means embedded.
/// </summary>
public abstract record ClusterTarget
{
    public const double DefaultConnectTimeoutSeconds = 15;

    private const double MaxConnectTimeoutSeconds = 600;

    /// <summary>The option a failure to reach the cluster is reported against, without its dashes.</summary>
    public abstract string Option { get; }

    /// <summary>Where the summary is when no --out was given (never a secret).</summary>
    public abstract string Display { get; }

    /// <summary>Checks the combination of options (one line naming the option otherwise); null when none asks for a cluster.</summary>
    public static ClusterTarget? From(ClusterArguments arguments)
    {
        var modes = new[] { ("cluster", arguments.Url), (OrleansGateways.PostgresOption, arguments.OrleansPostgres), (OrleansGateways.ListOption, arguments.Gateways) }
            .Where(m => m.Item2 is not null)
            .Select(m => m.Item1)
            .ToList();
        if (modes.Count > 1)
        {
            throw new SpecException(modes[1], $"cannot be combined with --{modes[0]}: give one of --cluster (HTTP API), --orleans-postgres or --gateways (Orleans client)");
        }

        if (arguments.Url is { } url)
        {
            foreach (var (option, given) in new[] { ("cluster-id", arguments.ClusterId is not null), ("connect-timeout", arguments.ConnectTimeoutSeconds is not null), ("tls-cert", arguments.TlsCert is not null) })
            {
                if (given)
                {
                    throw new SpecException(option, "applies to the Orleans client (--orleans-postgres or --gateways), not to --cluster");
                }
            }

            return Http.Of(url, arguments.Token);
        }

        if (arguments.OrleansPostgres is null && arguments.Gateways is null)
        {
            foreach (var (option, given) in new[] { ("token", arguments.Token is not null), ("cluster-id", arguments.ClusterId is not null), ("connect-timeout", arguments.ConnectTimeoutSeconds is not null) })
            {
                if (given)
                {
                    throw new SpecException(option, "applies to cluster mode only: add --cluster, --orleans-postgres or --gateways");
                }
            }

            return null;
        }

        if (arguments.Token is not null)
        {
            throw new SpecException("token", "applies to --cluster (the HTTP API); Orleans gateways take no token");
        }

        var clusterId = arguments.ClusterId ?? Silo.Hosting.SiloOptions.DefaultClusterId;
        if (string.IsNullOrWhiteSpace(clusterId))
        {
            throw new SpecException("cluster-id", "is empty: give the silos' OrleansFlow:ClusterId");
        }

        var timeout = arguments.ConnectTimeoutSeconds ?? DefaultConnectTimeoutSeconds;
        if (!(timeout is > 0 and <= MaxConnectTimeoutSeconds))
        {
            throw new SpecException("connect-timeout", string.Create(CultureInfo.InvariantCulture, $"{timeout} is out of range: allowed > 0 and <= {MaxConnectTimeoutSeconds} seconds"));
        }

        var gateways = arguments.OrleansPostgres is { } postgres ? OrleansGateways.FromPostgres(postgres) : OrleansGateways.FromList(arguments.Gateways!);
        return new OrleansClient(gateways, clusterId, TimeSpan.FromSeconds(timeout), TlsOf(arguments));
    }

    public abstract Task<IClusterJobs> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>The client certificate and CA of a cluster with mutual TLS, loaded now so a bad file is one line before anything runs.</summary>
    private static ClusterTls? TlsOf(ClusterArguments arguments)
    {
        if (arguments.TlsCert is null)
        {
            return arguments.TlsKey is not null || arguments.TlsCa is not null
                ? throw new SpecException(arguments.TlsKey is not null ? "tls-key" : "tls-ca", "needs --tls-cert (the client certificate)")
                : null;
        }

        return arguments.TlsCa is null
            ? throw new SpecException("tls-ca", "is required with --tls-cert: the cluster's CA certificate (PEM)")
            : ClusterTls.Load(arguments.TlsCert, arguments.TlsKey, arguments.TlsCa, ("tls-cert", "tls-key", "tls-ca"));
    }

    /// <summary>The silo API over HTTP, with its bearer token.</summary>
    public sealed record Http(Uri Address, string Token) : ClusterTarget
    {
        public override string Option => "cluster";

        public override string Display => Address.ToString();

        public static Http Of(string url, string? token)
        {
            var address = Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new SpecException("cluster", $"'{url}' is not an http(s) URL");
            token ??= Environment.GetEnvironmentVariable("ORLEANSFLOW_TOKEN");
            return string.IsNullOrWhiteSpace(token)
                ? throw new SpecException("token", "is required with --cluster (or set ORLEANSFLOW_TOKEN)")
                : new Http(address, token);
        }

        public override Task<IClusterJobs> ConnectAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IClusterJobs>(new ClusterClient(Address, Token));
    }

    /// <summary>The grains, through an Orleans client connected to the cluster's gateways.</summary>
    public sealed record OrleansClient(OrleansGateways Gateways, string ClusterId, TimeSpan ConnectTimeout, ClusterTls? Tls = null) : ClusterTarget
    {
        public override string Option => Gateways.Option;

        public override string Display => $"cluster '{ClusterId}'";

        public override async Task<IClusterJobs> ConnectAsync(CancellationToken cancellationToken) =>
            new OrleansClusterJobs(await OrleansConnection.ConnectAsync(Gateways, ClusterId, ConnectTimeout, cancellationToken, Tls));
    }
}

/// <summary>The cluster options of a job command as given (null = not given).</summary>
public sealed record ClusterArguments(
    string? Url = null, string? Token = null, string? OrleansPostgres = null, string? Gateways = null, string? ClusterId = null, double? ConnectTimeoutSeconds = null,
    string? TlsCert = null, string? TlsKey = null, string? TlsCa = null);
