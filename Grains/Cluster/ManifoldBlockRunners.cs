using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansFlow.Ids;
using OrleansFlow.Jobs;
using OrleansFlow.Statistics.Metrics;

namespace OrleansFlow.Cluster;

/// <summary>Chooses where a finalising job's precision/recall blocks run (<see cref="OrleansFlowOptions.DistributePrecisionRecall"/>).</summary>
public sealed class ManifoldBlockRunners(IGrainFactory grains, IClusterMembershipService membership, OrleansFlowOptions options, ILogger<ClusterManifoldBlockRunner> logger)
{
    /// <summary><paramref name="spec"/> as submitted: each worker localises it on its own silo.</summary>
    public ManifoldBlockRunnerFactory For(JobId job, JobSpec spec) =>
        options.DistributePrecisionRecall
            ? (_, _) => new ClusterManifoldBlockRunner(grains, membership, job, spec, options, logger)
            : LocalManifoldBlockRunner.Factory;
}
