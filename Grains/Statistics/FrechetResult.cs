namespace OrleansFlow.Statistics;

/// <summary>
/// A Fréchet distance and how it was obtained: <see cref="Fid"/> = <see cref="MeanTerm"/> +
/// <see cref="TraceTerm"/>, with ‖μ₁ − μ₂‖² and tr(σ₁) + tr(σ₂) − 2 tr(√(σ₁σ₂)).
/// </summary>
/// <param name="EpsilonRetried">True when the eps·I retry of pytorch-fid was needed.</param>
/// <param name="Method">How the distance was computed, to be recorded next to the value.</param>
public sealed record FrechetResult(double Fid, double MeanTerm, double TraceTerm, bool EpsilonRetried, string Method);
