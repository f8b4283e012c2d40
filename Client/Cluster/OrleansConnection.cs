using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansFlow.Cluster;

namespace OrleansFlow.Client.Cluster;

/// <summary>
/// An Orleans client connected to a cluster's gateways: a host with <c>UseOrleansClient</c> (no logging:
/// the CLI reports failures in one line), started within a deadline.
/// </summary>
public sealed class OrleansConnection : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private readonly IHost _host;

    private OrleansConnection(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>
    /// Connects to <paramref name="gateways"/> of cluster <paramref name="clusterId"/>, retrying until
    /// <paramref name="timeout"/>; a cluster with no reachable gateway by then is an error naming the option.
    /// </summary>
    /// <param name="tls">The client certificate and CA of a cluster with mutual TLS; null for a cluster without.</param>
    public static async Task<OrleansConnection> ConnectAsync(OrleansGateways gateways, string clusterId, TimeSpan timeout, CancellationToken cancellationToken, ClusterTls? tls = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var retry = new RetryUntil(DateTimeOffset.UtcNow + timeout);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = clusterId;
                cluster.ServiceId = Silo.Hosting.SiloOptions.ServiceId;
            });
            gateways.Configure(client);
            client.UseConnectionRetryFilter(retry);
            tls?.Apply(client);
        });
        var host = builder.Build();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await host.StartAsync(deadline.Token);
            return new OrleansConnection(host);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            // A gateway that refuses the TLS handshake looks like one that is down: Orleans retries until the
            // deadline (about every 8 s) and never says why, so the line says what to check.
            var cause = retry.LastError ?? e;
            var hint = tls is null
                ? " (a cluster with mutual TLS needs --tls-cert and --tls-ca)"
                : " (or it refused this client's certificate: check --tls-cert and --tls-ca)";
            throw new SpecException(gateways.Option,
                $"no gateway of cluster '{clusterId}' reachable through {gateways} within {timeout.TotalSeconds:0.#} s{hint}: {Cli.OneLine(cause.Message)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(StopTimeout);
        try
        {
            await _host.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            // The gateways are gone: nothing to say goodbye to.
        }

        _host.Dispose();
    }

    /// <summary>Orleans asks after each failed connection attempt; silos may still be starting, so try again until the deadline.</summary>
    private sealed class RetryUntil(DateTimeOffset deadline) : IClientConnectionRetryFilter
    {
        private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(500);

        public Exception? LastError { get; private set; }

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            LastError = exception;
            if (DateTimeOffset.UtcNow + Pause >= deadline)
            {
                return false;
            }

            await Task.Delay(Pause, cancellationToken);
            return true;
        }
    }
}
