using OrleansFlow.Ids;

namespace OrleansFlow.Cluster;

/// <summary>Told after each batch a sampler grain generates (the embedded progress bar listens; silos ignore it).</summary>
public interface IShardProgress
{
    void SamplesGenerated(JobId job, int samples);
}

public sealed class NoShardProgress : IShardProgress
{
    public void SamplesGenerated(JobId job, int samples)
    {
    }
}
