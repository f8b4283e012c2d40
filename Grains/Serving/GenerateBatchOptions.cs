namespace OrleansFlow.Serving;

/// <summary>How long a generate request may wait for others to share its run, and how many samples one run takes at most.</summary>
public sealed record GenerateBatchOptions(TimeSpan MaxWait, int MaxBatchSamples);
