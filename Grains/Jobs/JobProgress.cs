namespace OrleansFlow.Jobs;

/// <summary>A snapshot of a running job, for progress bars and event streams.</summary>
/// <param name="Done">Samples finished, including those of shards finished by an earlier run.</param>
/// <param name="Total">Samples of the job.</param>
/// <param name="GeneratedThisRun">Samples generated since this run started (the rate's numerator).</param>
/// <param name="Elapsed">Time since this run started.</param>
public sealed record JobProgress(long Done, long Total, long GeneratedThisRun, TimeSpan Elapsed)
{
    public double SamplesPerSecond => Elapsed.TotalSeconds > 0 ? GeneratedThisRun / Elapsed.TotalSeconds : 0;

    /// <summary>Estimated time to finish at the rate so far; null before there is a rate.</summary>
    public TimeSpan? Remaining => SamplesPerSecond > 0 ? TimeSpan.FromSeconds((Total - Done) / SamplesPerSecond) : null;
}
