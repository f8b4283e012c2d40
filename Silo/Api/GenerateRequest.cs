namespace OrleansFlow.Silo.Api;

/// <summary>A small synchronous generation request ("16 samples of class 207 now").</summary>
public sealed record GenerateRequest
{
    /// <summary>A model name in the registry (or the built-in <c>gmm-demo</c>).</summary>
    public required string Model { get; init; }

    public string Sampler { get; init; } = "heun:steps=8";

    public int Samples { get; init; } = 16;

    public long Seed { get; init; }

    public int? Class { get; init; }

    public double Guidance { get; init; } = 1;

    public bool Unconditional { get; init; }

    /// <summary><c>png</c> (base64 PNG per sample) or <c>array</c> (float32 values per sample, C×H×W).</summary>
    public string Format { get; init; } = "png";

    /// <summary>
    /// Minimal APIs bind the body through this instead of their lenient JSON binding: unknown, null or
    /// mistyped fields are a 400 naming the field (<see cref="RequestJson"/>, <see cref="ApiError.UseSpecErrors"/>).
    /// </summary>
    public static async ValueTask<GenerateRequest?> BindAsync(HttpContext context) =>
        await RequestJson.ReadAsync<GenerateRequest>(context.Request, context.RequestAborted);
}
