namespace OrleansFlow.Client.Evaluation;

/// <summary>One line of the FID table: a model package (a directory under <c>--models</c>) and a sampler.</summary>
/// <param name="Name">What the row stands for, e.g. "FlowTurbo H1P4R4" or "distilled one-step".</param>
/// <param name="Package">The package directory's name under the models directory.</param>
/// <param name="Sampler">A sampler string as <c>--sampler</c> takes it.</param>
internal sealed record FidTableRow(string Name, string Package, string Sampler)
{
    /// <summary>The row FlowTurbo's goal is stated against (issue 10: Heun 8's quality in half the time).</summary>
    public const string Baseline = "heun:steps=8";

    /// <summary>
    /// The rows of the README's main job: the 1-rectified flow under Euler and Heun; FlowTurbo's
    /// ablation on its 9-step grid as the paper tabulates it (Heun only, + pseudo-corrector, + refiner),
    /// the pseudo-corrector-only schedules of the shipped schedule's predictor NFE and of one more
    /// predictor call; then the InstaFlow pipeline's one-step samplers (1-rectified, 2-rectified, distilled).
    /// </summary>
    public static IReadOnlyList<FidTableRow> Digits { get; } =
    [
        new("Euler 8", "digits-rf", "euler:steps=8"),
        new("Heun 3", "digits-rf", "heun:steps=3"),
        new("Heun 4", "digits-rf", "heun:steps=4"),
        new("Heun 6", "digits-rf", "heun:steps=6"),
        new("Heun 8", "digits-rf", Baseline),
        new("Heun 16", "digits-rf", "heun:steps=16"),
        new("Heun 9 (FlowTurbo H9P0R0)", "digits-rf", "flowturbo:h=9,p=0,r=0"),
        new("+ pseudo-corrector H1P8R0", "digits-rf", "flowturbo:h=1,p=8,r=0"),
        new("+ refiner H1P4R4 (FlowTurbo)", "digits-rf", "flowturbo:h=1,p=4,r=4"),
        new("pseudo-corrector H1P4R0", "digits-rf", "flowturbo:h=1,p=4,r=0"),
        new("pseudo-corrector H1P5R0", "digits-rf", "flowturbo:h=1,p=5,r=0"),
        new("1-rectified one-step", "digits-rf", "onestep"),
        new("2-rectified one-step", "digits-2rf", "onestep"),
        new("2-rectified Euler 4", "digits-2rf", "euler:steps=4"),
        new("distilled one-step", "digits-onestep", "onestep"),
    ];

    /// <summary>
    /// The Fashion-MNIST main job: Euler and Heun 4/8/16 on the 1-rectified flow; FlowTurbo's ablation on
    /// Heun 8's grid (Heun 8 is its "Heun only" H8P0R0; + pseudo-corrector; + refiner, trained on that
    /// grid's step by tools/train_fashion_refiner.py) with the pseudo-corrector-only schedule of the
    /// refiner row's predictor NFE; and the cheapest schedule that reaches Heun 8's trajectory error in
    /// tools/fashion_schedule_scan.py (a 9-step grid, 11 predictor calls against 16); then InstaFlow's one-step
    /// samplers: the 1-rectified flow, the 2-rectified flow and the distilled model, trained by
    /// tools/train_fashion_reflow.py on a 200,000-pair reflow job of the cluster.
    /// </summary>
    public static IReadOnlyList<FidTableRow> Fashion { get; } =
    [
        new("Euler 16", "fashion-rf", "euler:steps=16"),
        new("Heun 4", "fashion-rf", "heun:steps=4"),
        new("Heun 8 (FlowTurbo H8P0R0)", "fashion-rf", Baseline),
        new("Heun 16", "fashion-rf", "heun:steps=16"),
        new("+ pseudo-corrector H1P7R0", "fashion-rf", "flowturbo:h=1,p=7,r=0"),
        new("+ refiner H1P4R3 (FlowTurbo)", "fashion-rf", "flowturbo:h=1,p=4,r=3"),
        new("pseudo-corrector H1P4R0", "fashion-rf", "flowturbo:h=1,p=4,r=0"),
        new("pseudo-corrector H2P7R0", "fashion-rf", "flowturbo:h=2,p=7,r=0"),
        new("1-rectified one-step", "fashion-rf", "onestep"),
        new("2-rectified one-step", "fashion-2rf", "onestep"),
        new("distilled one-step", "fashion-onestep", "onestep"),
    ];

    public bool IsHeun => Sampler.StartsWith("heun:", StringComparison.Ordinal);

    public bool IsFlowTurbo => Sampler.StartsWith("flowturbo:", StringComparison.Ordinal);

    public bool IsOneStep => Sampler == "onestep";
}
