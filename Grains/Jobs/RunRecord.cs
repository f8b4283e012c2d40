namespace OrleansFlow.Jobs;

/// <summary>What one run of a job did: how long it took, how many samples it generated, what it skipped.</summary>
public sealed record RunRecord(double Seconds, long SamplesGenerated, int ResumedShards, string Backend)
{
    public double SamplesPerSecond => Seconds > 0 ? SamplesGenerated / Seconds : 0;
}
