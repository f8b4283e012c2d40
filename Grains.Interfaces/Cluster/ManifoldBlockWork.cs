using OrleansFlow.Jobs;

namespace OrleansFlow.Cluster;

/// <summary>
/// One block of one precision/recall pass: rows <see cref="Start"/>..+<see cref="Count"/> of
/// <see cref="Side"/>. The worker reads its inputs from the job's blobs and reference (never from this
/// message), so it carries the job and its spec as submitted; the worker localises the spec itself.
/// <see cref="RadiiBlockSize"/> is the block size the radii passes used, so a count block knows the
/// names of the radii blobs to read.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansFlow.ManifoldBlockWork")]
public sealed record ManifoldBlockWork(
    [property: Id(0)] string Job,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] ManifoldSide Side,
    [property: Id(3)] int Start,
    [property: Id(4)] int Count,
    [property: Id(5)] int Neighbours,
    [property: Id(6)] int RadiiBlockSize);
