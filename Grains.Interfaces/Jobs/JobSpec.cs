using OrleansFlow.Sampling;

namespace OrleansFlow.Jobs;

/// <summary>
/// Everything that determines a job's output. Two runs of the same spec produce the same samples
/// bit for bit, whatever the number of workers or nodes (DESIGN.md, "Noise").
/// </summary>
public sealed record JobSpec
{
    public const int MaxSamples = 100_000_000;
    public const int MaxShardSize = 1_000_000;
    public const int MaxBatchSize = 65_536;
    public const double MaxGuidance = 100;

    public required JobKind Kind { get; init; }

    /// <summary><c>gmm-demo</c>, <c>gmm:path.json</c> or a model package directory.</summary>
    public required string Model { get; init; }

    public required SamplerSpec Sampler { get; init; }

    public required int Samples { get; init; }

    public long Seed { get; init; }

    public int ShardSize { get; init; } = 1000;

    public int BatchSize { get; init; } = 250;

    /// <summary>Classifier-free guidance scale s: v = v_uncond + s·(v_cond − v_uncond); 1 = conditional only.</summary>
    public double Guidance { get; init; } = 1;

    /// <summary>A fixed class label for every sample; null draws one per sample from (seed, index).</summary>
    public int? ClassLabel { get; init; }

    /// <summary>Sample the null class (unconditional) of a class-conditional model.</summary>
    public bool Unconditional { get; init; }

    /// <summary>FID reference statistics (.npz with mu, sigma); null = the model's own exact moments.</summary>
    public string? Reference { get; init; }

    public ImageOutput Images { get; init; } = ImageOutput.None;

    /// <summary>
    /// A TorchScript Inception v3 (.pt) for FID features; null = the model package's <c>files.features</c>,
    /// else the identity features of the samples.
    /// </summary>
    public string? Features { get; init; }

    /// <summary>
    /// The metrics of an fid job, comma-separated (<see cref="EvaluationMetrics.Allowed"/>); null = every
    /// metric the feature network and the reference allow.
    /// </summary>
    public string? Metrics { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public int ShardCount => (int)((Samples + (long)ShardSize - 1) / ShardSize);

    /// <summary>Checks the ranges that do not depend on the model; throws <see cref="SpecException"/>.</summary>
    public JobSpec Validate()
    {
        Require(Samples is >= 1 and <= MaxSamples, "samples", $"{Samples} is out of range: allowed 1..{MaxSamples}");
        Require(ShardSize is >= 1 and <= MaxShardSize, "shard-size", $"{ShardSize} is out of range: allowed 1..{MaxShardSize}");
        Require(BatchSize is >= 1 and <= MaxBatchSize, "batch-size", $"{BatchSize} is out of range: allowed 1..{MaxBatchSize}");
        Require(Seed >= 0, "seed", $"{Seed} is out of range: allowed 0..{long.MaxValue}");
        Require(double.IsFinite(Guidance) && Guidance is >= 0 and <= MaxGuidance, "guidance",
            $"{Guidance} is out of range: allowed 0..{MaxGuidance} (1 = conditional velocity only)");
        Require(ClassLabel is null or >= 0, "class", $"{ClassLabel} is out of range: class labels are >= 0");
        Require(!(Unconditional && ClassLabel is not null), "class", "cannot be combined with --unconditional");
        Require(!(Unconditional && Guidance != 1), "guidance", "has no effect when sampling unconditionally: leave it at 1");
        Require(!string.IsNullOrWhiteSpace(Model), "model", "must not be empty");
        Require(Kind == JobKind.Fid || Reference is null, "reference", "applies to fid jobs only");
        Require(Kind == JobKind.Fid || Images == ImageOutput.None, "images", "applies to fid jobs only");
        Require(Kind == JobKind.Fid || Features is null, "features", "applies to fid jobs only");
        Require(Kind == JobKind.Fid || Metrics is null, EvaluationMetrics.Field, "applies to fid jobs only");
        _ = Metrics is null ? EvaluationMetric.None : EvaluationMetrics.Parse(Metrics);
        return this;
    }

    private static void Require(bool condition, string field, string message)
    {
        if (!condition)
        {
            throw new SpecException(field, message);
        }
    }
}
