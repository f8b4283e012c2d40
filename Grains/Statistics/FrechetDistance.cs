using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace OrleansFlow.Statistics;

/// <summary>
/// The Fréchet distance between two Gaussians, computed as pytorch-fid fid_score.py
/// <c>calculate_frechet_distance</c> defines it (and the ADM evaluator and FlowTurbo copy):
/// d² = ‖μ₁ − μ₂‖² + tr(σ₁) + tr(σ₂) − 2 tr(sqrtm(σ₁σ₂)), retrying with eps·I added to both
/// covariances when the square root is not finite, keeping the real part.
/// </summary>
public static class FrechetDistance
{
    /// <summary>pytorch-fid fid_score.py's default <c>eps</c>.</summary>
    public const double Epsilon = 1e-6;

    public const string Method =
        "pytorch-fid frechet distance; trace of sqrtm via symmetric eigendecomposition of sqrt(s1) s2 sqrt(s1); eps=1e-6 retry";

    /// <summary>Relative asymmetry above which an input is not taken for a covariance matrix.</summary>
    private const double SymmetryTolerance = 1e-8;

    public static FrechetResult Compute(GaussianStatistics a, GaussianStatistics b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dimension != b.Dimension)
        {
            throw new ArgumentException($"Cannot compare statistics of dimension {a.Dimension} with dimension {b.Dimension}.", nameof(b));
        }

        Matrix<double> sigma1 = ToCovarianceMatrix(a, "first");
        Matrix<double> sigma2 = ToCovarianceMatrix(b, "second");

        double meanTerm = 0;
        for (int i = 0; i < a.Dimension; i++)
        {
            double difference = a.Mu[i] - b.Mu[i];
            meanTerm += difference * difference;
        }

        bool epsilonRetried = false;
        double traceOfSqrt = TraceOfSqrtOfProduct(sigma1, sigma2);
        if (!double.IsFinite(traceOfSqrt))
        {
            // pytorch-fid: "fid calculation produces singular product; adding eps to diagonal of cov estimates".
            // With the eigendecomposition below a singular product is harmless; this only
            // triggers on overflow, and is kept so the procedure is pytorch-fid's.
            epsilonRetried = true;
            Matrix<double> offset = Matrix<double>.Build.DiagonalIdentity(a.Dimension) * Epsilon;
            traceOfSqrt = TraceOfSqrtOfProduct(sigma1 + offset, sigma2 + offset);
        }

        // The traces are those of the covariances as given, as in pytorch-fid, not of the eps-shifted ones.
        double traceTerm = sigma1.Trace() + sigma2.Trace() - (2 * traceOfSqrt);
        return new FrechetResult(meanTerm + traceTerm, meanTerm, traceTerm, epsilonRetried, Method);
    }

    /// <summary>
    /// tr(sqrtm(σ₁σ₂)) as Σ √λᵢ over the eigenvalues of √σ₁ σ₂ √σ₁, which is similar to σ₁σ₂
    /// (same eigenvalues) but symmetric, so a symmetric eigensolver applies instead of scipy's
    /// general Schur-based sqrtm.
    /// </summary>
    private static double TraceOfSqrtOfProduct(Matrix<double> sigma1, Matrix<double> sigma2)
    {
        Matrix<double> sqrtSigma1 = SymmetricSquareRoot(sigma1);
        Matrix<double> product = sqrtSigma1 * sigma2 * sqrtSigma1;

        // Rounding leaves the product asymmetric in the last bits; the solver must see a symmetric matrix.
        Matrix<double> symmetric = (product + product.Transpose()) * 0.5;
        double trace = 0;
        foreach (double eigenvalue in SymmetricEigenvalues(symmetric, out _))
        {
            trace += Math.Sqrt(ClampToNonNegative(eigenvalue));
        }

        return trace;
    }

    /// <summary>√σ = V √Λ Vᵀ for a symmetric positive semi-definite σ = V Λ Vᵀ.</summary>
    private static Matrix<double> SymmetricSquareRoot(Matrix<double> sigma)
    {
        Vector<double> eigenvalues = SymmetricEigenvalues(sigma, out Matrix<double> eigenvectors);
        Vector<double> roots = eigenvalues.Map(value => Math.Sqrt(ClampToNonNegative(value)));
        return eigenvectors * Matrix<double>.Build.DiagonalOfDiagonalVector(roots) * eigenvectors.Transpose();
    }

    private static Vector<double> SymmetricEigenvalues(Matrix<double> symmetric, out Matrix<double> eigenvectors)
    {
        Evd<double> evd = symmetric.Evd(Symmetricity.Symmetric);
        eigenvectors = evd.EigenVectors;
        return evd.EigenValues.Map(value => value.Real);
    }

    /// <summary>
    /// Covariances and √σ₁ σ₂ √σ₁ are positive semi-definite, so their exact eigenvalues are ≥ 0.
    /// When a covariance is singular (fewer samples than dimensions, pytorch-fid issue #13) the
    /// zero eigenvalues come out of the solver as ±1e-16·‖σ‖ noise; the square root of such a
    /// negative value is the tiny imaginary component pytorch-fid drops by keeping the real
    /// part, which is exactly what mapping it to 0 does.
    /// </summary>
    private static double ClampToNonNegative(double eigenvalue) => Math.Max(eigenvalue, 0);

    private static Matrix<double> ToCovarianceMatrix(GaussianStatistics statistics, string which)
    {
        int dimension = statistics.Dimension;
        Matrix<double> sigma = Matrix<double>.Build.Dense(dimension, dimension, (row, column) => statistics.Sigma[(row * dimension) + column]);
        double scale = sigma.InfinityNorm();
        double asymmetry = (sigma - sigma.Transpose()).InfinityNorm();
        if (!double.IsFinite(scale) || asymmetry > SymmetryTolerance * scale)
        {
            throw new ArgumentException(
                $"The {which} covariance is not a finite symmetric matrix (asymmetry {asymmetry:G3} at scale {scale:G3}).");
        }

        return sigma;
    }
}
