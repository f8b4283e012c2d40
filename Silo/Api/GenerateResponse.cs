using OrleansFlow.Sampling;

namespace OrleansFlow.Silo.Api;

/// <summary>The samples of a <c>/v1/generate</c> request, with their labels and what they cost.</summary>
public sealed record GenerateResponse(
    string Model, string Sampler, string Shape, int Samples, IReadOnlyList<int> Labels, NfeCount Nfe, double Milliseconds,
    IReadOnlyList<string>? Png, IReadOnlyList<float[]>? Arrays);
