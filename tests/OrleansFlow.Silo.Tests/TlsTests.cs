using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OrleansFlow.Client;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>
/// Mutual TLS on Orleans' ports, on real silo processes: silos talk to each other and to a client with a
/// certificate of the cluster's CA; a client with none, or with another CA's, is refused within its
/// connect timeout (one line) and nothing runs.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class TlsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task MutualTls_ClientOfTheCaRunsAJobOnTwoSilos_ClientWithoutOrWithAnotherCasCertificateRefusedNothingRuns()
    {
        var root = Directory.CreateTempSubdirectory("orleansflow-tls-").FullName;
        try
        {
            var ca = TestCa.Create("cluster-ca");
            var rogue = TestCa.Create("rogue-ca");
            var silo = ca.Issue(root, "silo", serverAndClient: true);
            var client = ca.Issue(root, "client", serverAndClient: false);
            var stranger = rogue.Issue(root, "stranger", serverAndClient: false);
            var caFile = ca.Write(root);
            await using var cluster = await TestCluster.StartAsync(postgres.Server, silos: 2, new ClusterSettings
            {
                Environment = new Dictionary<string, string>
                {
                    ["OrleansFlow__TlsCertificate"] = silo.Certificate,
                    ["OrleansFlow__TlsKey"] = silo.Key,
                    ["OrleansFlow__TlsCa"] = caFile,
                },
            });
            var gateways = string.Join(',', await cluster.ActiveGatewaysAsync());
            string[] job = ["fid", "--samples", "1000", "--shard-size", "250", "--sampler", "heun:steps=4", "--quiet", "--gateways", gateways, "--cluster-id", cluster.Schema];

            var accepted = await RunAsync([.. job, "--connect-timeout", "120", "--tls-cert", client.Certificate, "--tls-key", client.Key, "--tls-ca", caFile]);
            var clock = Stopwatch.StartNew();
            var plain = await RunAsync([.. job, "--connect-timeout", "5"]);
            var plainSeconds = clock.Elapsed.TotalSeconds;
            var foreign = await RunAsync([.. job, "--connect-timeout", "5", "--tls-cert", stranger.Certificate, "--tls-key", stranger.Key, "--tls-ca", caFile]);

            Assert.True(accepted.Exit == 0, accepted.Error + cluster.Logs());
            Assert.Equal(ExitCodes.BadInput, plain.Exit);
            Assert.StartsWith($"orleansflow: --gateways: no gateway of cluster '{cluster.Schema}' reachable through {gateways} within 5 s (a cluster with mutual TLS needs --tls-cert and --tls-ca)", plain.Error, StringComparison.Ordinal);
            Assert.Single(plain.Error.TrimEnd().Split('\n'));
            Assert.True(plainSeconds < 30, $"the refused client took {plainSeconds:F1} s");
            Assert.Equal(ExitCodes.BadInput, foreign.Exit);
            Assert.Contains("(or it refused this client's certificate: check --tls-cert and --tls-ca)", foreign.Error, StringComparison.Ordinal);
            Assert.Single(foreign.Error.TrimEnd().Split('\n'));
            // Only the accepted client's job exists, and both silos stayed members over their TLS links.
            using var http = cluster.Http();
            var jobs = await http.GetFromJsonAsync<JsonElement>("v1/jobs");
            Assert.Equal(1, jobs.GetArrayLength());
            Assert.Equal("succeeded", jobs[0].GetProperty("state").GetString());
            foreach (var each in cluster.Silos)
            {
                Assert.Equal(3, await cluster.MembershipStatusAsync(each));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(int Exit, string Error)> RunAsync(string[] args)
    {
        var error = new StringWriter();
        var exit = await Cli.RunAsync(args, new StringWriter(), error);
        return (exit, error.ToString());
    }
}

/// <summary>A throw-away certificate authority, as <c>./run-local-cluster</c> makes with openssl.</summary>
internal sealed class TestCa
{
    private readonly X509Certificate2 _certificate;

    private TestCa(X509Certificate2 certificate) => _certificate = certificate;

    public static TestCa Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return new TestCa(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
    }

    /// <summary>The CA's certificate as a PEM file.</summary>
    public string Write(string directory)
    {
        var path = Path.Combine(directory, $"{_certificate.GetNameInfo(X509NameType.SimpleName, false)}.crt");
        File.WriteAllText(path, _certificate.ExportCertificatePem());
        return path;
    }

    /// <summary>A leaf certificate and key as PEM files: a silo's (serverAuth and clientAuth, IP 127.0.0.1) or a client's (clientAuth).</summary>
    public (string Certificate, string Key) Issue(string directory, string name, bool serverAndClient)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") };
        if (serverAndClient)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(_certificate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        var paths = (Path.Combine(directory, $"{name}.crt"), Path.Combine(directory, $"{name}.key"));
        File.WriteAllText(paths.Item1, certificate.ExportCertificatePem());
        File.WriteAllText(paths.Item2, key.ExportPkcs8PrivateKeyPem());
        return paths;
    }
}
