using OrleansFlow.Jobs;
using OrleansFlow.Models;
using OrleansFlow.Sampling;

namespace OrleansFlow.Client.Benchmarks;

/// <summary>The sizes of one bench run: the full run, or <c>--quick</c> for a smoke test of a few seconds.</summary>
internal sealed record BenchSettings
{
    /// <summary>Part (a): samples of the FID job whose throughput is compared.</summary>
    public required int OverheadSamples { get; init; }

    public required int ShardSize { get; init; }

    public required int BatchSize { get; init; }

    /// <summary>Part (a): timed runs of each variant, interleaved.</summary>
    public required int Repetitions { get; init; }

    /// <summary>Part (a): the sampler of the FID job (the CLI's default).</summary>
    public SamplerSpec OverheadSampler { get; init; } = SamplerSpec.Heun(8);

    /// <summary>Part (b): the samples whose RMS error against the reference solution is measured.</summary>
    public required int ErrorSamples { get; init; }

    /// <summary>Part (b): the samples each setting generates for its FID (the first <see cref="ErrorSamples"/> give its error).</summary>
    public required int FidSamples { get; init; }

    /// <summary>Part (b): timed runs of each setting on the error samples; the fastest counts.</summary>
    public required int TimingRuns { get; init; }

    public required SamplerSpec Reference { get; init; }

    public required IReadOnlyList<SamplerSpec> Samplers { get; init; }

    /// <summary>Part (b): the error to match is this Heun setting's.</summary>
    public required SamplerSpec Target { get; init; }

    public long Seed { get; init; }

    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>The FID job of gmm-demo that every measurement runs, with these shards and batches.</summary>
    public JobSpec FidJob(SamplerSpec sampler, int samples) => new JobSpec
    {
        Kind = JobKind.Fid,
        Model = GmmDemo.Name,
        Sampler = sampler,
        Samples = samples,
        Seed = Seed,
        ShardSize = ShardSize,
        BatchSize = BatchSize,
    }.Validate();

    public static BenchSettings Full(int overheadSamples) => new()
    {
        OverheadSamples = overheadSamples,
        ShardSize = 1000,
        BatchSize = 250,
        Repetitions = 5,
        ErrorSamples = 2000,
        FidSamples = 10_000,
        TimingRuns = 3,
        // Heun's error at 2048 steps is ~(64/2048)² ≈ 1e-3 of the finest Heun setting's below: negligible.
        Reference = SamplerSpec.Heun(2048),
        Samplers = Sweep(euler: [4, 8, 16, 32, 64, 128], heun: [2, 4, 8, 16, 32, 64], h: [1, 2, 3], p: [0, 1, 2, 3, 4], r: [1, 2, 3, 4, 5, 6]),
        Target = SamplerSpec.Heun(8),
    };

    public static BenchSettings Quick(int overheadSamples) => new()
    {
        OverheadSamples = overheadSamples,
        ShardSize = 250,
        BatchSize = 125,
        Repetitions = 3,
        ErrorSamples = 100,
        FidSamples = 500,
        TimingRuns = 2,
        // 8x the steps of the finest Heun setting below: about 1/64 of its error.
        Reference = SamplerSpec.Heun(128),
        Samplers = Sweep(euler: [4, 8, 16, 32], heun: [2, 4, 8, 16], h: [1, 2], p: [0, 2], r: [1, 3]),
        Target = SamplerSpec.Heun(4),
    };

    private static SamplerSpec[] Sweep(int[] euler, int[] heun, int[] h, int[] p, int[] r) =>
    [
        .. euler.Select(SamplerSpec.Euler),
        .. heun.Select(SamplerSpec.Heun),
        .. from heunSteps in h from pseudo in p from refine in r select SamplerSpec.FlowTurbo(heunSteps, pseudo, refine),
    ];
}
