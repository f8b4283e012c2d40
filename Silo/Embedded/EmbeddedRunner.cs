using OrleansFlow.Jobs;

namespace OrleansFlow.Silo.Embedded;

/// <summary>Runs one job on a fresh <see cref="EmbeddedCluster"/> (the CLI's default mode).</summary>
public static class EmbeddedRunner
{
    public static async Task<JobSummary> RunAsync(
        JobSpec spec, string outputDirectory, RunOptions options, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        await using var cluster = await EmbeddedCluster.StartAsync(options.Workers, options.Registry, cancellationToken);
        return await cluster.RunAsync(spec, outputDirectory, options, progress, cancellationToken);
    }
}
