namespace OrleansFlow.Jobs;

/// <summary>
/// Which compiled form of one TorchScript module a silo runs for one batch size, and why: every
/// candidate's median forward time on that batch and whether its outputs were bit-identical to the
/// module as loaded (only those may be chosen unless numerics changes are allowed).
/// </summary>
/// <param name="Role">predictor, refiner, decoder or features.</param>
/// <param name="Batch">Rows per forward call.</param>
/// <param name="Chosen">as-loaded, frozen or frozen+optimized.</param>
public sealed record CompilationChoice(string Role, int Batch, string Chosen, IReadOnlyList<CompilationTiming> Timings);

/// <summary>One candidate's median forward time and whether it reproduced the as-loaded outputs bit for bit.</summary>
public sealed record CompilationTiming(string Variant, double Milliseconds, bool SameOutputs);
