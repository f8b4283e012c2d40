namespace OrleansFlow.Ids;

/// <summary>
/// Keys a warm model: one loaded instance per (model, resolution).
/// </summary>
public readonly record struct SamplerKey(string Model, Resolution Resolution)
{
    public override string ToString() => $"{Model}@{Resolution}";
}
