using System.Globalization;

namespace OrleansFlow.Sampling;

/// <summary>
/// A sampler and its step counts, written as <c>euler:steps=N</c>, <c>heun:steps=N</c>,
/// <c>flowturbo:h=H,p=P,r=R</c> or <c>onestep</c>. <see cref="ToString"/> gives the canonical form.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SamplerSpecJsonConverter))]
public sealed record SamplerSpec
{
    public const string Field = "sampler";
    public const string Allowed = "euler:steps=N, heun:steps=N, flowturbo:h=H,p=P,r=R or onestep";
    private const int MaxSteps = 10_000;

    private SamplerSpec(SamplerKind kind, int steps, int heun, int pseudo, int refine)
    {
        Kind = kind;
        Steps = steps;
        HeunSteps = heun;
        PseudoCorrectorSteps = pseudo;
        RefinerSteps = refine;
    }

    public SamplerKind Kind { get; }

    /// <summary>Steps of Euler or Heun; for FlowTurbo H + P + R; 1 for one-step.</summary>
    public int Steps { get; }

    /// <summary>FlowTurbo's H (full Heun steps).</summary>
    public int HeunSteps { get; }

    /// <summary>FlowTurbo's P (pseudo-corrector steps, one predictor evaluation each).</summary>
    public int PseudoCorrectorSteps { get; }

    /// <summary>FlowTurbo's R (velocity-refiner steps, two refiner evaluations each).</summary>
    public int RefinerSteps { get; }

    /// <summary>Predictor evaluations per sample (DESIGN.md: Heun 2N, FlowTurbo 2H + P, +1 when H = 0).</summary>
    public int PredictorNfe => Kind switch
    {
        SamplerKind.Euler => Steps,
        SamplerKind.Heun => 2 * Steps,
        SamplerKind.OneStep => 1,
        _ => 2 * HeunSteps + PseudoCorrectorSteps
            + (HeunSteps == 0 && PseudoCorrectorSteps + RefinerSteps > 0 ? 1 : 0),
    };

    /// <summary>Refiner evaluations per sample (FlowTurbo 2R, others 0).</summary>
    public int RefinerNfe => Kind == SamplerKind.FlowTurbo ? 2 * RefinerSteps : 0;

    public bool NeedsRefiner => RefinerNfe > 0;

    public static SamplerSpec Euler(int steps) => new(SamplerKind.Euler, RequireSteps("steps", steps, 1), 0, 0, 0);

    public static SamplerSpec Heun(int steps) => new(SamplerKind.Heun, RequireSteps("steps", steps, 1), 0, 0, 0);

    public static SamplerSpec OneStep() => new(SamplerKind.OneStep, 1, 0, 0, 0);

    public static SamplerSpec FlowTurbo(int heun, int pseudo, int refine)
    {
        RequireSteps("h", heun, 0);
        RequireSteps("p", pseudo, 0);
        RequireSteps("r", refine, 0);
        if (heun + pseudo + refine < 1)
        {
            throw new SpecException(Field, "flowturbo needs h + p + r >= 1");
        }

        return new SamplerSpec(SamplerKind.FlowTurbo, heun + pseudo + refine, heun, pseudo, refine);
    }

    public static SamplerSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        var parameters = ParseParameters(colon < 0 ? string.Empty : text[(colon + 1)..], text);
        var spec = name switch
        {
            "euler" => Euler(Take(parameters, "steps", text)),
            "heun" => Heun(Take(parameters, "steps", text)),
            "onestep" or "one-step" => OneStep(),
            "flowturbo" => FlowTurbo(
                Take(parameters, "h", text), Take(parameters, "p", text), Take(parameters, "r", text)),
            _ => throw new SpecException(Field, $"unknown sampler '{name}': use {Allowed}"),
        };
        return RejectLeftovers(parameters, spec, text);
    }

    public override string ToString() => Kind switch
    {
        SamplerKind.Euler => $"euler:steps={Steps}",
        SamplerKind.Heun => $"heun:steps={Steps}",
        SamplerKind.OneStep => "onestep",
        _ => $"flowturbo:h={HeunSteps},p={PseudoCorrectorSteps},r={RefinerSteps}",
    };

    private static Dictionary<string, int> ParseParameters(string list, string text)
    {
        var parameters = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0
                || !int.TryParse(part.AsSpan(eq + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw new SpecException(Field, $"'{text}' is malformed at '{part}': use {Allowed} with integer values");
            }

            if (!parameters.TryAdd(part[..eq].Trim().ToLowerInvariant(), value))
            {
                throw new SpecException(Field, $"'{text}' repeats '{part[..eq]}'");
            }
        }

        return parameters;
    }

    private static int Take(Dictionary<string, int> parameters, string key, string text)
    {
        if (!parameters.Remove(key, out var value))
        {
            throw new SpecException(Field, $"'{text}' lacks '{key}=': use {Allowed}");
        }

        return value;
    }

    /// <summary>A parameter nobody took is a typo (e.g. <c>stpes=4</c>) and must not be silently ignored.</summary>
    private static SamplerSpec RejectLeftovers(Dictionary<string, int> parameters, SamplerSpec spec, string text)
    {
        if (parameters.Count > 0)
        {
            throw new SpecException(Field, $"'{text}' has unknown parameter '{parameters.Keys.First()}': use {Allowed}");
        }

        return spec;
    }

    private static int RequireSteps(string name, int value, int min)
    {
        if (value < min || value > MaxSteps)
        {
            throw new SpecException(Field, $"{name}={value} is out of range: allowed {min}..{MaxSteps}");
        }

        return value;
    }
}
