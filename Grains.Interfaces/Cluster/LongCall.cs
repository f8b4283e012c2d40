namespace OrleansFlow.Cluster;

/// <summary>
/// The response timeout of grain calls that do a model's work: a shard, a finalisation (precision/recall
/// over 50,000 samples takes minutes on a CPU), a first model load with its warm-up. Orleans' default
/// (30 s) would count a slow shard as lost and run it again. Calls to a silo that dies still fail at
/// once: Orleans fails them when membership declares the silo dead, so this bounds only a silo that
/// stays alive but never answers.
/// </summary>
public static class LongCall
{
    public const string Timeout = "02:00:00";
}
