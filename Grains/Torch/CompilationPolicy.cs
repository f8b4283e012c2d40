namespace OrleansFlow.Torch;

/// <summary>
/// How a model's modules are compiled. FlowTurbo's sample-aware compilation compiles for the shapes a
/// job will run, but freezing and <c>optimize_for_inference</c> can also make a module several times
/// slower (MKLDNN convolutions on small CPU batches), so by default every batch size is timed in each
/// form and the fastest kept (<see cref="Fastest"/>).
/// </summary>
/// <param name="Fixed">One form for every batch size, untimed; null to choose by timing.</param>
/// <param name="AllowNumericsChanges">
/// Whether timing may choose a form whose outputs differ from the module as loaded. Off by default:
/// the noise contract makes a job's bytes independent of batch size and silo, and silos that timed
/// differently must still write the same bytes.
/// </param>
public sealed record CompilationPolicy(TorchCompilation? Fixed, bool AllowNumericsChanges)
{
    public const string Variable = "ORLEANSFLOW_COMPILATION";

    /// <summary>Time every form per batch size; keep the fastest whose outputs equal the as-loaded module's.</summary>
    public static CompilationPolicy Fastest { get; } = new(null, false);

    /// <summary>The policy of <c>$ORLEANSFLOW_COMPILATION</c> (see <see cref="Parse"/>), else <see cref="Fastest"/>.</summary>
    public static CompilationPolicy Default =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? Parse(value, Variable) : Fastest;

    /// <summary>The policy's <c>$ORLEANSFLOW_COMPILATION</c> value.</summary>
    public string Name => Fixed?.Name() ?? (AllowNumericsChanges ? "fastest-any" : "fastest");

    /// <summary>
    /// <c>fastest</c> (default), <c>fastest-any</c> (numerics changes allowed), or one form for every
    /// batch: <c>as-loaded</c>, <c>frozen</c>, <c>frozen+optimized</c>.
    /// </summary>
    public static CompilationPolicy Parse(string value, string field) => value switch
    {
        "fastest" => Fastest,
        "fastest-any" => new(null, true),
        // One form for every batch; only frozen+optimized rewrites numerics.
        _ when TorchCompilationNames.TryParse(value, out var form) => new(form, form == TorchCompilation.FrozenOptimized),
        _ => throw new SpecException(field, $"'{value}' is not a compilation policy: use fastest, fastest-any, as-loaded, frozen or frozen+optimized"),
    };
}
