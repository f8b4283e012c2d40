using OrleansFlow.Jobs;
using OrleansFlow.Sampling;

namespace OrleansFlow.Silo.Tests;

internal static class JobSpecs
{
    /// <summary>The fault tests' job: 20,000 gmm-demo samples in 40 shards.</summary>
    public static JobSpec Fid(long seed = 7, int samples = 20_000, int shardSize = 500, string sampler = "heun:steps=6") => new()
    {
        Kind = JobKind.Fid,
        Model = "gmm-demo",
        Sampler = SamplerSpec.Parse(sampler),
        Samples = samples,
        ShardSize = shardSize,
        BatchSize = 250,
        Seed = seed,
    };
}
