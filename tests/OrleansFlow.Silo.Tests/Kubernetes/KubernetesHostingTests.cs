using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Hosting.Kubernetes;
using OrleansFlow.Silo.Hosting;

namespace OrleansFlow.Silo.Tests.Kubernetes;

/// <summary>Kubernetes hosting is switched on by the pod's namespace only, as the manifests set it.</summary>
public sealed class KubernetesHostingTests
{
    [Fact]
    public void UseOrleansFlowKubernetes_OutsideAPod_LeavesKubernetesHostingOff()
    {
        var services = SiloServices(_ => null);

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(KubernetesClusterAgent) || d.ImplementationType == typeof(KubernetesClusterAgent));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IConfigureOptions<KubernetesHostingOptions>));
    }

    [Fact]
    public void UseOrleansFlowKubernetes_InAPod_RegistersOrleansKubernetesHosting()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [KubernetesHostingOptions.PodNamespaceEnvironmentVariable] = "orleansflow",
            [KubernetesHostingOptions.PodNameEnvironmentVariable] = "orleansflow-silo-0",
        };

        var services = SiloServices(name => environment.GetValueOrDefault(name));

        Assert.Contains(services, d => d.ServiceType == typeof(KubernetesClusterAgent) || d.ImplementationType == typeof(KubernetesClusterAgent));
        Assert.Contains(services, d => d.ServiceType == typeof(IConfigureOptions<KubernetesHostingOptions>));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("  ", false)]
    [InlineData("default", true)]
    public void IsInPod_PodNamespace_DecidesAlone(string? podNamespace, bool expected) =>
        Assert.Equal(expected, KubernetesHosting.IsInPod(name => name == KubernetesHostingOptions.PodNamespaceEnvironmentVariable ? podNamespace : "set"));

    private static List<ServiceDescriptor> SiloServices(Func<string, string?> environment)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.UseOrleansFlowKubernetes(environment));
        return [.. builder.Services];
    }
}
