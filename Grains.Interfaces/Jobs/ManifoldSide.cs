namespace OrleansFlow.Jobs;

/// <summary>Which of precision/recall's two point sets a manifold pass works on.</summary>
[GenerateSerializer, Alias("OrleansFlow.ManifoldSide")]
public enum ManifoldSide
{
    /// <summary>The reference batch's pooled features.</summary>
    Reference,

    /// <summary>The job's generated pooled features (the shards' <c>pool</c> arrays, in shard order).</summary>
    Generated,
}
