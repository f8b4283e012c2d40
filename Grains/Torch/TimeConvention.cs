namespace OrleansFlow.Torch;

/// <summary>
/// How a model's own time input and output relate to OrleansFlow's convention (t = 0 noise, t = 1
/// data, v = dx/dt): the model is called at <c>Offset + Scale·t</c> and its output multiplied by
/// <c>VelocitySign</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>sit</c> (SiT, FlowTurbo): t as is.</item>
/// <item><c>instaflow</c>: InstaFlow's <c>pipeline_rf.py</c> calls the UNet at
/// <c>(1 − i/N)·1000</c> for step i of N and updates <c>latents + dt·v_pred</c> from noise to
/// image, so its time is <c>1000·(1 − t)</c> and its velocity already points toward the data (sign +1).</item>
/// <item><c>rectifiedflow</c>: the RectifiedFlow repository feeds <c>t·999</c> and integrates
/// <c>x + v·dt</c> upward from noise (sign +1).</item>
/// </list>
/// </remarks>
public sealed record TimeConvention(string Name, double Scale, double Offset, double VelocitySign)
{
    public const string Allowed = "sit, instaflow or rectifiedflow";

    public static TimeConvention Sit { get; } = new("sit", 1, 0, 1);

    public static TimeConvention InstaFlow { get; } = new("instaflow", -1000, 1000, 1);

    public static TimeConvention RectifiedFlow { get; } = new("rectifiedflow", 999, 0, 1);

    /// <summary>The time the model is called at, in float32 as the model's input tensor holds it.</summary>
    public float ModelTime(double t) => (float)(Offset + Scale * t);

    public static TimeConvention? Parse(string name) => name.ToLowerInvariant() switch
    {
        "sit" or "flowturbo" => Sit,
        "instaflow" => InstaFlow,
        "rectifiedflow" => RectifiedFlow,
        _ => null,
    };
}
