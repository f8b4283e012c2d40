using System.Net;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansFlow.Cluster.Postgres;
using OrleansFlow.Testing;

namespace OrleansFlow.Cluster.Tests.Postgres;

/// <summary>A silo whose PostgreSQL does not answer fails its start with one line that says where it looked.</summary>
public sealed class OrleansPostgresStartupTests
{
    [Fact]
    public async Task SiloStart_PostgresUnreachable_FailsNamingHostPortAndSchema()
    {
        var closedPort = FreePorts.Next();
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo
            .UseOrleansFlowPostgres($"Host=127.0.0.1;Port={closedPort};Username=postgres;Database=postgres;Timeout=3;Search Path=unreachable")
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("startup", "startup"))
            .ConfigureEndpoints(IPAddress.Loopback, FreePorts.Next(), FreePorts.Next(), listenOnAnyHostAddress: false));
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        var ours = Flatten(error).OfType<InvalidOperationException>().FirstOrDefault(e => e.Message.StartsWith("PostgreSQL at", StringComparison.Ordinal));
        Assert.NotNull(ours);
        Assert.Contains($"127.0.0.1:{closedPort}", ours.Message, StringComparison.Ordinal);
        Assert.Contains("schema unreachable", ours.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ours.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Host=127.0.0.1;NoSuchKeyword=1")]
    public void UseOrleansFlowPostgres_BadConnectionString_SaysWhatIsWrong(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        var error = Assert.Throws<ArgumentException>(() => builder.UseOrleans(silo => silo.UseOrleansFlowPostgres(connectionString)));
        Assert.Contains("PostgreSQL connection string", error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
