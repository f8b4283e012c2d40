using System.Globalization;
using OrleansFlow.Sampling;

namespace OrleansFlow.Jobs;

/// <summary>
/// The sizes a cluster accepts (DESIGN.md, "Scale contracts": every size is bounded by a configured limit
/// checked before anything is written). One place for jobs and <c>/v1/generate</c>: a silo binds it from
/// <c>OrleansFlow:Limits</c> (environment <c>OrleansFlow__Limits__MaxSamples</c>, …), the jobs grain checks
/// every submission against it — HTTP and Orleans-client alike — before a model is loaded, a catalog row
/// written or a scheduler activated. Defaults in docs/cluster.md.
/// </summary>
public sealed record JobLimits
{
    /// <summary>The configuration section under <c>OrleansFlow</c>.</summary>
    public const string Section = "Limits";

    /// <summary>Samples of one job (a 50k FID evaluation, reflow data sets of millions of pairs).</summary>
    public int MaxSamples { get; init; } = 10_000_000;

    /// <summary>Shards of one job (⌈samples / shard-size⌉): what the scheduler keeps per job grows with it.</summary>
    public int MaxShards { get; init; } = 20_000;

    /// <summary>Sampler steps: Euler or Heun N, FlowTurbo H + P + R.</summary>
    public int MaxSteps { get; init; } = 1_000;

    /// <summary>
    /// Model evaluations of one job: samples × NFE per sample, NFE being predictor + refiner evaluations as the
    /// summary reports them, a guided predictor evaluation counting twice (its conditional and unconditional halves).
    /// </summary>
    public long MaxCost { get; init; } = 1_000_000_000;

    /// <summary>Samples of one synchronous <c>/v1/generate</c> request.</summary>
    public int MaxGenerateSamples { get; init; } = 256;

    /// <summary>Samples × NFE of one <c>/v1/generate</c> request (256 samples of Heun with 128 steps).</summary>
    public long MaxGenerateCost { get; init; } = 65_536;

    /// <summary>Model evaluations per sample of <paramref name="spec"/>, as <see cref="MaxCost"/> counts them.</summary>
    public static long NfePerSample(JobSpec spec)
    {
        var guided = spec.Guidance != 1 && !spec.Unconditional;
        return (guided ? 2L : 1L) * spec.Sampler.PredictorNfe + spec.Sampler.RefinerNfe;
    }

    /// <summary>Throws <see cref="SpecException"/> naming the first field of a job over a limit.</summary>
    public JobSpec Require(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Samples > MaxSamples)
        {
            throw new SpecException("samples", $"{N(spec.Samples)} is over this cluster's limit: allowed 1..{N(MaxSamples)} per job");
        }

        if (spec.ShardCount > MaxShards)
        {
            var smallest = (spec.Samples + (long)MaxShards - 1) / MaxShards;
            throw new SpecException("shard-size", $"{spec.ShardSize} makes {N(spec.ShardCount)} shards of {N(spec.Samples)} samples, over this cluster's limit of {N(MaxShards)} shards per job: use a shard size of at least {N(smallest)}");
        }

        RequireSteps(spec);
        RequireCost(spec, MaxCost, "per job");
        return spec;
    }

    /// <summary>The same for a <c>/v1/generate</c> request (no shards; its own sample and cost bounds).</summary>
    public JobSpec RequireGenerate(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Samples < 1 || spec.Samples > MaxGenerateSamples)
        {
            throw new SpecException("samples", $"{spec.Samples} is out of range: allowed 1..{MaxGenerateSamples} (submit a job for more)");
        }

        RequireSteps(spec);
        RequireCost(spec, MaxGenerateCost, "per generate request (submit a job for more)");
        return spec;
    }

    /// <summary>A limit that is not positive would refuse everything: the silo stops at start naming it.</summary>
    public JobLimits Validate(string section)
    {
        foreach (var (name, value) in new (string, long)[]
        {
            (nameof(MaxSamples), MaxSamples), (nameof(MaxShards), MaxShards), (nameof(MaxSteps), MaxSteps),
            (nameof(MaxCost), MaxCost), (nameof(MaxGenerateSamples), MaxGenerateSamples), (nameof(MaxGenerateCost), MaxGenerateCost),
        })
        {
            if (value < 1)
            {
                throw new SpecException($"{section}:{name}", $"{value} is out of range: must be >= 1");
            }
        }

        return this;
    }

    private void RequireSteps(JobSpec spec)
    {
        if (spec.Sampler.Steps > MaxSteps)
        {
            throw new SpecException(SamplerSpec.Field, $"{spec.Sampler} has {N(spec.Sampler.Steps)} steps, over this cluster's limit: allowed 1..{N(MaxSteps)}");
        }
    }

    private static void RequireCost(JobSpec spec, long limit, string scope)
    {
        var nfe = NfePerSample(spec);
        var cost = spec.Samples * nfe;
        if (cost > limit)
        {
            throw new SpecException("samples", $"{N(spec.Samples)} samples × {N(nfe)} NFE ({spec.Sampler}{(nfe > spec.Sampler.PredictorNfe + spec.Sampler.RefinerNfe ? ", guided" : string.Empty)}) = {N(cost)} model evaluations, over this cluster's limit of {N(limit)} {scope}: allowed up to {N(limit / nfe)} samples with this sampler");
        }
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
