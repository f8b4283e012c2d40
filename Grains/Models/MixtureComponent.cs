namespace OrleansFlow.Models;

/// <summary>One isotropic Gaussian of the analytic mixture: weight π, mean μ, std s, class label c.</summary>
public sealed record MixtureComponent(double Weight, double[] Mean, double Std, int ClassLabel);
