using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OrleansFlow.Testing;

namespace OrleansFlow.Silo.Tests;

/// <summary>A silo started with bad configuration prints one line naming the setting, exits non-zero and writes nothing.</summary>
[Collection(SiloCollection.Name)]
public sealed class BadConfigurationTests(PostgresFixture postgres) : IDisposable
{
    private readonly TemporaryDirectory _scratch = new();

    [Fact]
    public async Task MissingToken_OneLineNamingTokenExitNonZero()
    {
        var (exit, error) = await RunSiloAsync(new() { ["OrleansFlow__Postgres"] = postgres.Server.ConnectionString });
        AssertOneLine(exit, error, "OrleansFlow:Token");
    }

    [Fact]
    public async Task MalformedConnectionString_OneLineNamingPostgresExitNonZero()
    {
        var (exit, error) = await RunSiloAsync(new() { ["OrleansFlow__Token"] = "t", ["OrleansFlow__Postgres"] = "Host=127.0.0.1;NoSuchKeyword=1" });
        AssertOneLine(exit, error, "OrleansFlow:Postgres");
    }

    [Fact]
    public async Task PostgresUnreachable_OneLineNamingPostgresExitNonZero()
    {
        var (exit, error) = await RunSiloAsync(new()
        {
            ["OrleansFlow__Token"] = "t",
            ["OrleansFlow__Postgres"] = $"Host=127.0.0.1;Port={FreePorts.Next()};Username=postgres;Database=postgres;Timeout=3",
        });
        AssertOneLine(exit, error, "OrleansFlow:Postgres");
    }

    [Fact]
    public async Task SiloPortInUse_OneLineNamingSiloPortExitNonZero()
    {
        using var busy = new TcpListener(IPAddress.Any, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var (exit, error) = await RunSiloAsync(new() { ["OrleansFlow__Token"] = "t", ["OrleansFlow__SiloPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        AssertOneLine(exit, error, "OrleansFlow:SiloPort");
    }

    [Theory]
    [InlineData("MaxSamples", "0")]
    [InlineData("MaxCost", "-1")]
    public async Task NonPositiveLimit_OneLineNamingTheLimitExitNonZero(string limit, string value)
    {
        var (exit, error) = await RunSiloAsync(new() { ["OrleansFlow__Token"] = "t", [$"OrleansFlow__Limits__{limit}"] = value });
        AssertOneLine(exit, error, $"OrleansFlow:Limits:{limit}");
    }

    [Theory]
    [InlineData("OrleansFlow__Cpus", "0,x", "OrleansFlow:Cpus")]
    [InlineData("OrleansFlow__Cpus", "1023", "OrleansFlow:Cpus")]
    [InlineData("OrleansFlow__PostgresPoolSize", "0", "OrleansFlow:PostgresPoolSize")]
    [InlineData("OrleansFlow__MembershipProbeTimeoutSeconds", "0.5", "OrleansFlow:MembershipProbeTimeoutSeconds")]
    public async Task BadCpusPoolSizeOrProbeTimeout_OneLineNamingTheSettingExitNonZero(string variable, string value, string setting)
    {
        var (exit, error) = await RunSiloAsync(new() { ["OrleansFlow__Token"] = "t", [variable] = value });
        AssertOneLine(exit, error, setting);
    }

    [Fact]
    public async Task RegistryKeyFileMissing_OneLineNamingRegistryKeysExitNonZero()
    {
        var (exit, error) = await RunSiloAsync(new() { ["OrleansFlow__Token"] = "t", ["OrleansFlow__RegistryKeys"] = _scratch.Combine("no-such.pem") });
        AssertOneLine(exit, error, "OrleansFlow:RegistryKeys");
    }

    [Theory]
    [InlineData("TlsCertificate", "OrleansFlow:TlsCa")]
    [InlineData("TlsCa", "OrleansFlow:TlsCertificate")]
    public async Task TlsHalfConfigured_OneLineNamingTheMissingSettingExitNonZero(string given, string named)
    {
        var (exit, error) = await RunSiloAsync(new() { ["OrleansFlow__Token"] = "t", [$"OrleansFlow__{given}"] = _scratch.Combine("some.pem") });
        AssertOneLine(exit, error, named);
    }

    public void Dispose() => _scratch.Dispose();

    private void AssertOneLine(int exit, string error, string setting)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEqual(0, exit);
        Assert.True(lines.Length == 1, error);
        Assert.Contains(setting, lines[0], StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_scratch.Combine("store")));
    }

    private async Task<(int Exit, string Error)> RunSiloAsync(Dictionary<string, string> settings)
    {
        Directory.CreateDirectory(_scratch.Combine("store"));
        var start = new ProcessStartInfo("dotnet", [SiloProcess.SiloAssembly()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePorts.Next()}";
        start.Environment["OrleansFlow__Store"] = _scratch.Combine("store");
        start.Environment["OrleansFlow__SiloPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OrleansFlow__GatewayPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;
        return (process.ExitCode, await stderr);
    }
}
