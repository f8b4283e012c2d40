using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// How silos and clients serialize the types that already have a JSON contract (job.json and
/// summary.json): <see cref="JobSpec"/> and <see cref="JobSummary"/> travel as that JSON, so there is
/// one wire form for files, the HTTP API and grain messages. Everything else uses generated codecs.
/// </summary>
public static class OrleansFlowSerialization
{
    public static IServiceCollection AddOrleansFlowSerialization(this IServiceCollection services) =>
        services.AddSerializer(serializer => serializer.AddJsonSerializer(IsJsonContract, JobJson.CompactOptions));

    private static bool IsJsonContract(Type type) => type == typeof(JobSpec) || type == typeof(JobSummary);
}
