namespace OrleansFlow.Client.Evaluation;

/// <param name="Fid">FID-digits against the real data set's statistics (deterministic for a seed).</param>
/// <param name="PredictorNfe">Predictor evaluations per sample, as counted while sampling.</param>
/// <param name="RefinerNfe">Refiner evaluations per sample.</param>
/// <param name="MsPerSample">
/// Wall milliseconds per sample of the fastest run: the whole embedded job (sampling, features,
/// shard files, merge), with the model already warm.
/// </param>
/// <param name="Seconds">Wall seconds of every run of the row, in the order run.</param>
internal sealed record FidTableResult(FidTableRow Row, double Fid, long PredictorNfe, long RefinerNfe, double MsPerSample, IReadOnlyList<double> Seconds, string Summary);

/// <summary>Everything one <c>orleansflow fid-table</c> run measured; written to <c>table.json</c>.</summary>
internal sealed record FidTableReport(
    Benchmarks.MachineInfo Machine,
    int Samples,
    long Seed,
    int BatchSize,
    int Workers,
    int Threads,
    double Guidance,
    int Repeats,
    string Reference,
    string Features,
    IReadOnlyList<FidTableResult> Rows);
