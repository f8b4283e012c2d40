using OrleansFlow.Jobs;

namespace OrleansFlow.Client.Cluster;

/// <summary>
/// A cluster's jobs as the CLI uses them, whichever way it reaches the cluster: the HTTP API
/// (<see cref="ClusterClient"/>) or the grains as an Orleans client (<see cref="OrleansClusterJobs"/>).
/// </summary>
public interface IClusterJobs : IAsyncDisposable
{
    /// <summary>Submits the job; the same <paramref name="idempotencyKey"/> again returns the same job.</summary>
    Task<ClusterJob> SubmitAsync(JobSpec spec, string idempotencyKey, CancellationToken cancellationToken);

    Task<ClusterJob> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The job each time its progress changes, ending with it finished (or earlier, when the stream broke).</summary>
    IAsyncEnumerable<ClusterJob> FollowAsync(string id, CancellationToken cancellationToken);
}
