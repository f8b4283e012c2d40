namespace OrleansFlow.Statistics;

/// <summary>
/// The three dense operations the Fréchet distance needs, on n×n column-major matrices, so the
/// formula lives once in <see cref="FrechetDistance"/> and runs on native LAPACK or managed code.
/// </summary>
internal interface ISymmetricLinearAlgebra
{
    /// <summary>What computes the operations, recorded next to the distance (e.g. "LAPACK: OpenBLAS 0.3.21").</summary>
    string Description { get; }

    /// <summary>
    /// Eigenvalues (ascending) of the symmetric <paramref name="matrix"/>, which is overwritten by the
    /// eigenvectors: column j (elements [j·n, (j+1)·n)) belongs to eigenvalue j.
    /// </summary>
    double[] EigenDecompose(double[] matrix, int n);

    /// <summary>Eigenvalues (ascending) of the symmetric <paramref name="matrix"/>; the matrix is destroyed.</summary>
    double[] Eigenvalues(double[] matrix, int n);

    /// <summary>
    /// Overwrites the symmetric <paramref name="matrix"/> with its Cholesky factor L (lower triangle,
    /// zeros above) and returns true; returns false, with the matrix left in any state, when it is not
    /// numerically positive definite.
    /// </summary>
    bool TryCholesky(double[] matrix, int n);

    /// <summary>Aᵀ·S·A for a symmetric S; <paramref name="lowerTriangular"/> says A is zero above its diagonal.</summary>
    double[] Congruence(double[] symmetric, double[] a, int n, bool lowerTriangular);
}
