using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansFlow.Cluster.Postgres;

// Settings as --Name=value or environment variables: Postgres (connection string with the schema as
// Search Path), ClusterId, SiloPort, GatewayPort, and Membership=orleans-defaults to undo
// MembershipTuning (the tests measure both side by side).
var builder = Host.CreateApplicationBuilder(args);
var settings = builder.Configuration;
try
{
    var connectionString = Required(settings, "Postgres");
    var clusterId = Required(settings, "ClusterId");
    var siloPort = Port(settings, "SiloPort");
    var gatewayPort = Port(settings, "GatewayPort");
    builder.UseOrleans(silo =>
    {
        silo.UseOrleansFlowPostgres(connectionString);
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = clusterId;
            options.ServiceId = "orleansflow-test";
        });
        silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: false);
        if (settings["Membership"] == "orleans-defaults")
        {
            silo.Services.PostConfigure<ClusterMembershipOptions>(UseOrleansDefaults);
        }
    });
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

await builder.Build().RunAsync();
return 0;

static string Required(IConfiguration settings, string name) =>
    settings[name] is { Length: > 0 } value ? value : throw new ArgumentException($"--{name} is required");

static int Port(IConfiguration settings, string name) =>
    int.TryParse(Required(settings, name), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
        ? port
        : throw new ArgumentException($"--{name} must be a port number from 1 to 65535");

static void UseOrleansDefaults(ClusterMembershipOptions options)
{
    var defaults = new ClusterMembershipOptions();
    options.ProbeTimeout = defaults.ProbeTimeout;
    options.NumMissedProbesLimit = defaults.NumMissedProbesLimit;
    options.NumVotesForDeathDeclaration = defaults.NumVotesForDeathDeclaration;
    options.TableRefreshTimeout = defaults.TableRefreshTimeout;
    options.DeathVoteExpirationTimeout = defaults.DeathVoteExpirationTimeout;
    options.IAmAliveTablePublishTimeout = defaults.IAmAliveTablePublishTimeout;
}
