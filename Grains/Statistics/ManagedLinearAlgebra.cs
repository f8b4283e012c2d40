using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace OrleansFlow.Statistics;

/// <summary>
/// The fallback when no native LAPACK can be loaded: MathNet.Numerics' managed solvers (about 8× slower
/// than OpenBLAS on 2,048-d statistics, see docs/fid.md). MathNet's dense storage is column-major, so the
/// arrays are wrapped, not copied.
/// </summary>
internal sealed class ManagedLinearAlgebra : ISymmetricLinearAlgebra
{
    public static readonly ManagedLinearAlgebra Instance = new();

    private ManagedLinearAlgebra()
    {
    }

    public string Description => "managed: MathNet.Numerics " + typeof(Matrix<double>).Assembly.GetName().Version?.ToString(3);

    public double[] EigenDecompose(double[] matrix, int n)
    {
        Evd<double> evd = Wrap(matrix, n).Evd(Symmetricity.Symmetric);
        evd.EigenVectors.ToColumnMajorArray().CopyTo(matrix, 0);
        return RealParts(evd);
    }

    public double[] Eigenvalues(double[] matrix, int n) => RealParts(Wrap(matrix, n).Evd(Symmetricity.Symmetric));

    public bool TryCholesky(double[] matrix, int n)
    {
        try
        {
            Wrap(matrix, n).Cholesky().Factor.ToColumnMajorArray().CopyTo(matrix, 0);
            return true;
        }
        catch (ArgumentException)
        {
            // MathNet's way of saying "not positive definite".
            return false;
        }
    }

    public double[] Congruence(double[] symmetric, double[] a, int n, bool lowerTriangular)
    {
        Matrix<double> factor = Wrap(a, n);
        return factor.TransposeThisAndMultiply(Wrap(symmetric, n) * factor).ToColumnMajorArray();
    }

    private static Matrix<double> Wrap(double[] columnMajor, int n) => Matrix<double>.Build.Dense(n, n, columnMajor);

    private static double[] RealParts(Evd<double> evd) => [.. evd.EigenValues.Select(value => value.Real)];
}
