namespace OrleansFlow.Silo.Api;

/// <summary>A small synchronous generation request ("16 samples of class 207 now").</summary>
public sealed record GenerateRequest
{
    public string Model { get; init; } = Models.GmmDemo.Name;

    public string Sampler { get; init; } = "heun:steps=8";

    public int Samples { get; init; } = 16;

    public long Seed { get; init; }

    public int? Class { get; init; }

    public double Guidance { get; init; } = 1;

    public bool Unconditional { get; init; }

    /// <summary><c>png</c> (base64 PNG per sample) or <c>array</c> (float32 values per sample, C×H×W).</summary>
    public string Format { get; init; } = "png";
}
