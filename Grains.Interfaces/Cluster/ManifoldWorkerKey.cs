namespace OrleansFlow.Cluster;

/// <summary>
/// The key of a manifold worker grain: the silo it is pinned to (<c>SiloAddress.ToParsableString()</c>)
/// and the job whose precision/recall blocks it runs, so one activation per (silo, job) holds that
/// job's inputs while the pass runs. Same form as <see cref="SamplerGrainKey"/>: the silo first.
/// </summary>
public readonly record struct ManifoldWorkerKey(string Silo, string Job)
{
    public string ToGrainKey() => new SamplerGrainKey(Silo, Job).ToGrainKey();

    public static ManifoldWorkerKey Parse(string key)
    {
        var (silo, job) = SamplerGrainKey.Parse(key);
        return new ManifoldWorkerKey(silo, job);
    }
}
