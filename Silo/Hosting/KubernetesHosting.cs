using Orleans.Hosting;
using Orleans.Hosting.Kubernetes;

namespace OrleansFlow.Silo.Hosting;

/// <summary>
/// Orleans' Kubernetes hosting (<c>Microsoft.Orleans.Hosting.Kubernetes</c>) for silos that run in a
/// pod: the silo takes its name from <c>POD_NAME</c>, advertises <c>POD_IP</c>, takes its cluster and
/// service ids from <c>ORLEANS_CLUSTER_ID</c>/<c>ORLEANS_SERVICE_ID</c>, and watches the pods of its
/// cluster through the API server so that a pod Kubernetes deleted is declared dead at once. It is not a
/// clustering provider: membership stays in PostgreSQL (OrleansPostgres).
/// </summary>
public static class KubernetesHosting
{
    /// <summary>
    /// Enables Kubernetes hosting only in a pod, judged by <c>POD_NAMESPACE</c> (set from the downward
    /// API in k8s/base/deployment.yaml). Outside a cluster <c>UseKubernetesHosting()</c> cannot reach an
    /// API server and the silo fails to start, so a silo on a workstation, in CI or in
    /// <c>./run-local-cluster</c> must not call it.
    /// </summary>
    public static ISiloBuilder UseOrleansFlowKubernetes(this ISiloBuilder silo) =>
        silo.UseOrleansFlowKubernetes(Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="UseOrleansFlowKubernetes(ISiloBuilder)"/>, reading the environment through <paramref name="environment"/> (tests).</summary>
    public static ISiloBuilder UseOrleansFlowKubernetes(this ISiloBuilder silo, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(environment);
        return IsInPod(environment) ? silo.UseKubernetesHosting() : silo;
    }

    /// <summary>True when the downward API gave this process its pod's namespace.</summary>
    public static bool IsInPod(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return !string.IsNullOrWhiteSpace(environment(KubernetesHostingOptions.PodNamespaceEnvironmentVariable));
    }
}
