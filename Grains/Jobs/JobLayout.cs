namespace OrleansFlow.Jobs;

/// <summary>
/// The blob names of one job, all under one prefix (empty in embedded mode, where the output
/// directory is the job). Names come from shard indices and sample indices only.
/// </summary>
public sealed class JobLayout(string prefix = "")
{
    public string Prefix => prefix;

    public string Job => prefix + "job.json";

    public string Summary => prefix + "summary.json";

    public string Statistics => prefix + "stats.npz";

    public string Manifest => prefix + "manifest.json";

    public string Labels => prefix + "labels.npy";

    public string SamplesNpz => prefix + "samples.npz";

    public string Grid => prefix + "grid.png";

    public string ShardResult(int shard, JobKind kind) =>
        $"{prefix}shards/{shard:D5}{(kind == JobKind.Reflow ? ".safetensors" : ".npz")}";

    public string ShardImages(int shard) => $"{prefix}shards/{shard:D5}.images.npy";

    /// <summary>
    /// Squared radii of one block of precision/recall's rows (float64 [n]), from <paramref name="start"/>: written
    /// create-only by the cluster's manifold workers, so a re-run finaliser reuses the blocks already done.
    /// </summary>
    public string ManifoldRadii(ManifoldSide side, int start) => $"{prefix}prc/{side.ToString().ToLowerInvariant()}-radii/{start:D6}.npy";

    public string Image(long sample) => $"{prefix}images/{sample:D6}.png";

    /// <summary>The name relative to the job, as listed in summaries and manifests.</summary>
    public string Relative(string name) => name[prefix.Length..];
}
