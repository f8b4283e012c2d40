namespace OrleansFlow.Statistics;

/// <summary>Which linear algebra computes a Fréchet distance.</summary>
public enum FrechetBackend
{
    /// <summary>OpenBLAS' LAPACK when <c>libopenblas.so.0</c> loads, else <see cref="Managed"/>.</summary>
    Auto,

    /// <summary>OpenBLAS' LAPACK; throws when the library is missing.</summary>
    Native,

    /// <summary>MathNet.Numerics' managed eigensolver (slow at 2,048 dimensions, always there).</summary>
    Managed,
}
