namespace OrleansFlow.Ids;

/// <summary>
/// Keys a sampler actor: one warm model instance per (model, resolution), as an Orleans grain key would.
/// </summary>
public readonly record struct SamplerKey(string Model, Resolution Resolution)
{
    public override string ToString() => $"{Model}@{Resolution}";
}
