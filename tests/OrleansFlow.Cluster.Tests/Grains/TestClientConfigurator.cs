using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace OrleansFlow.Cluster.Tests.Grains;

/// <summary>The test client speaks the same JSON contract for specs and summaries as the silos.</summary>
public sealed class TestClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.Services.AddOrleansFlowSerialization();
}
