namespace OrleansFlow.Client.Evaluation;

/// <param name="Fid">FID of the data set's feature network against the real images' statistics, over the run's seeds.</param>
/// <param name="TrajectoryRms">RMS distance of the row's samples from the converged solve of the same noises and labels (<see cref="TrajectoryError"/>).</param>
/// <param name="PredictorNfe">Predictor evaluations per sample, as counted while sampling.</param>
/// <param name="RefinerNfe">Refiner evaluations per sample.</param>
/// <param name="MsPerSample">
/// Wall milliseconds per sample of the fastest run: the whole embedded job (sampling, features,
/// shard files), with the model already warm; the job's seconds end before its finaliser, so the
/// other metrics' cost (<see cref="SuiteEstimates.FinaliserSeconds"/>) is not in it.
/// </param>
/// <param name="Suite">sFID, IS, precision, recall and KID over the seeds.</param>
/// <param name="Seconds">Wall seconds of every run of the row, in the order run (one per seed).</param>
/// <param name="Summaries">The <c>summary.json</c> of each seed's job.</param>
/// <param name="SampleGrid">A PNG of the row's first samples (those its trajectory error compares).</param>
internal sealed record FidTableResult(
    FidTableRow Row, SeedEstimate Fid, double TrajectoryRms, long PredictorNfe, long RefinerNfe, double MsPerSample, IReadOnlyList<double> Seconds, IReadOnlyList<string> Summaries,
    SuiteEstimates Suite, string SampleGrid);

/// <summary>Everything one <c>orleansflow fid-table</c> run measured; written to <c>table.json</c>.</summary>
/// <param name="Seeds">The job seeds every row ran with (seed, seed + 1, …; one per repeat).</param>
/// <param name="TrajectorySamples">How many samples of each row the trajectory error compares.</param>
/// <param name="Data">The data set's name (<c>--data</c>).</param>
/// <param name="FidLabel">What its FID column is called.</param>
internal sealed record FidTableReport(
    string Data,
    string FidLabel,
    int ReferenceImages,
    string TrajectoryPackage,
    Benchmarks.MachineInfo Machine,
    int Samples,
    IReadOnlyList<long> Seeds,
    int BatchSize,
    int Workers,
    int Threads,
    double Guidance,
    int TrajectorySamples,
    string TrajectoryReference,
    string Reference,
    string Features,
    string Metrics,
    IReadOnlyList<FidTableResult> Rows);
