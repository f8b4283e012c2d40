using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Orleans;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace OrleansFlow.Cluster;

/// <summary>
/// Mutual TLS on Orleans' two ports (Microsoft.Orleans.Connections.Security): every connection presents a
/// certificate issued by the cluster's own CA, checked against that CA alone (never the system store).
/// <list type="bullet">
/// <item>Silo port (silo to silo): both ends must hold a <b>silo</b> certificate — EKU serverAuth and
/// clientAuth, since a silo is the TLS client on its outbound links. A client certificate is refused.</item>
/// <item>Gateway port: the client must hold a certificate with EKU clientAuth; the silo presents its own.</item>
/// </list>
/// Host names are not checked (silos are addressed by IP); the CA is the cluster's boundary. Files are PEM,
/// as openssl and cert-manager write them (<c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>).
/// </summary>
public sealed class ClusterTls
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private ClusterTls(X509Certificate2 certificate, X509Certificate2 authority)
    {
        Certificate = certificate;
        Authority = authority;
    }

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The cluster's CA: the only root a peer's certificate may chain to.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>
    /// Loads the certificate (PEM, its key in <paramref name="keyFile"/> or, when null, in the same file) and
    /// the CA. Throws <see cref="SpecException"/> naming the option or setting of the file at fault.
    /// </summary>
    public static ClusterTls Load(string certificateFile, string? keyFile, string authorityFile, (string Certificate, string Key, string Authority) names)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new SpecException(keyFile is not null && File.Exists(certificateFile) ? names.Key : names.Certificate,
                $"cannot load the certificate '{certificateFile}'{(keyFile is null ? string.Empty : $" with the key '{keyFile}'")}: {e.Message.Split('\n')[0].Trim()}");
        }

        if (!certificate.HasPrivateKey)
        {
            throw new SpecException(names.Key, $"'{certificateFile}' has no private key: give the key file");
        }

        X509Certificate2 authority;
        try
        {
            // The certificate alone: CreateFromPemFile would look for a private key in the file too.
            authority = X509Certificate2.CreateFromPem(File.ReadAllText(authorityFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new SpecException(names.Authority, $"cannot load the CA certificate '{authorityFile}': {e.Message.Split('\n')[0].Trim()}");
        }

        return new ClusterTls(certificate, authority);
    }

    /// <summary>TLS on the silo's inbound and outbound silo links and on its gateway, as described on the class.</summary>
    public void Apply(ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var siloPeers = Options(requiredUsage: ServerAuth, requireClientCertificate: true);
        var clients = Options(requiredUsage: ClientAuth, requireClientCertificate: true);
        silo.Configure<SiloConnectionOptions>(connections =>
        {
            connections.ConfigureSiloInboundConnection(connection => connection.UseServerTls(siloPeers));
            connections.ConfigureSiloOutboundConnection(connection => connection.UseClientTls(siloPeers));
            connections.ConfigureGatewayInboundConnection(connection => connection.UseServerTls(clients));
        });
    }

    /// <summary>A client's side: its certificate to the gateway, and a gateway that must present a silo certificate of the CA.</summary>
    public void Apply(IClientBuilder client)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.UseTls(Certificate, options => Configure(options, ServerAuth, requireClientCertificate: false));
    }

    /// <summary>Whether <paramref name="certificate"/> chains to the cluster's CA and carries <paramref name="usage"/>.</summary>
    public bool Accepts(X509Certificate2? certificate, string usage)
    {
        if (certificate is null || !HasUsage(certificate, usage))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        return chain.Build(certificate);
    }

    private TlsOptions Options(string requiredUsage, bool requireClientCertificate)
    {
        var options = new TlsOptions();
        Configure(options, requiredUsage, requireClientCertificate);
        return options;
    }

    private void Configure(TlsOptions options, string requiredUsage, bool requireClientCertificate)
    {
        options.LocalCertificate = Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        if (requireClientCertificate)
        {
            options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        }

        options.HandshakeTimeout = HandshakeTimeout;
        // Replaces the platform's check, which knows nothing of a private CA; names are not checked (IP addresses).
        options.RemoteCertificateValidation = (certificate, _, errors) =>
            (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0 && Accepts(certificate, requiredUsage);
    }

    private static bool HasUsage(X509Certificate2 certificate, string usage) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == usage));
}
