namespace OrleansFlow.Client.Evaluation;

/// <summary>One line of the FID table: a model package (a directory under <c>--models</c>) and a sampler.</summary>
/// <param name="Name">What the row stands for, e.g. "FlowTurbo H1P3R2" or "distilled one-step".</param>
/// <param name="Package">The package directory's name under the models directory.</param>
/// <param name="Sampler">A sampler string as <c>--sampler</c> takes it.</param>
internal sealed record FidTableRow(string Name, string Package, string Sampler)
{
    /// <summary>
    /// The rows of the README's main job: the 1-rectified flow under Euler, Heun and FlowTurbo, then
    /// the InstaFlow pipeline's one-step samplers (1-rectified, 2-rectified, distilled).
    /// </summary>
    public static IReadOnlyList<FidTableRow> Digits { get; } =
    [
        new("Euler 4", "digits-rf", "euler:steps=4"),
        new("Euler 8", "digits-rf", "euler:steps=8"),
        new("Euler 16", "digits-rf", "euler:steps=16"),
        new("Heun 3", "digits-rf", "heun:steps=3"),
        new("Heun 4", "digits-rf", "heun:steps=4"),
        new("Heun 5", "digits-rf", "heun:steps=5"),
        new("Heun 6", "digits-rf", "heun:steps=6"),
        new("Heun 8", "digits-rf", "heun:steps=8"),
        new("Heun 16", "digits-rf", "heun:steps=16"),
        new("FlowTurbo H1P3R2", "digits-rf", "flowturbo:h=1,p=3,r=2"),
        new("FlowTurbo H1P5R3", "digits-rf", "flowturbo:h=1,p=5,r=3"),
        new("FlowTurbo H2P6R4", "digits-rf", "flowturbo:h=2,p=6,r=4"),
        new("1-rectified one-step", "digits-rf", "onestep"),
        new("2-rectified one-step", "digits-2rf", "onestep"),
        new("2-rectified Euler 4", "digits-2rf", "euler:steps=4"),
        new("distilled one-step", "digits-onestep", "onestep"),
    ];

    public bool IsHeun => Sampler.StartsWith("heun:", StringComparison.Ordinal);

    public bool IsFlowTurbo => Sampler.StartsWith("flowturbo:", StringComparison.Ordinal);

    public bool IsOneStep => Sampler == "onestep";
}
