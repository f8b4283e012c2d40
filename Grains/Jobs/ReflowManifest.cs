using OrleansFlow.Sampling;

namespace OrleansFlow.Jobs;

/// <summary><c>manifest.json</c> of a reflow dataset: the spec, the shards in index order and their hashes.</summary>
public sealed record ReflowManifest(
    JobSpec Spec, string Shape, bool Conditional, long Samples, int ShardCount, NfeCount Nfe, IReadOnlyList<ReflowShardEntry> Shards)
{
    public string Format => "safetensors: x0, x1 float32 [n,C,H,W]; seed int64 [n]; label int64 [n] when conditional";
}

/// <summary>One reflow shard: samples [Start, Start + Count) in <see cref="File"/>, with its size and sha256.</summary>
public sealed record ReflowShardEntry(string File, int Index, long Start, int Count, long Bytes, string Sha256);
