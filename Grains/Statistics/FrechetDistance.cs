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

    /// <summary>The formula, the first part of every <see cref="FrechetResult.Method"/>.</summary>
    public const string Formula =
        "pytorch-fid frechet distance; tr sqrtm(s1 s2) from the symmetric eigenvalues of C^T s2 C with s1 = C C^T (Cholesky, else eigen factor); eps=1e-6 retry";

    /// <summary>Relative asymmetry above which an input is not taken for a covariance matrix.</summary>
    private const double SymmetryTolerance = 1e-8;

    /// <summary>Side of the square tiles the symmetric passes walk (2 × 64² doubles fit in L1/L2).</summary>
    private const int Tile = 64;

    /// <summary>Whether OpenBLAS' LAPACK is loadable here, so <see cref="FrechetBackend.Auto"/> runs natively.</summary>
    public static bool NativeAvailable => OpenBlasLinearAlgebra.TryLoad() is not null;

    public static FrechetResult Compute(GaussianStatistics a, GaussianStatistics b, FrechetBackend backend = FrechetBackend.Auto)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dimension != b.Dimension)
        {
            throw new ArgumentException($"Cannot compare statistics of dimension {a.Dimension} with dimension {b.Dimension}.", nameof(b));
        }

        (ISymmetricLinearAlgebra algebra, string note) = Choose(backend);
        int n = a.Dimension;
        double[] sigma1 = ToCovarianceMatrix(a, "first");
        double[] sigma2 = ToCovarianceMatrix(b, "second");

        double meanTerm = MeanTerm(a, b);
        bool epsilonRetried = false;
        double traceOfSqrt = TraceOfSqrtOfProduct(sigma1, sigma2, n, algebra);
        if (!double.IsFinite(traceOfSqrt))
        {
            // pytorch-fid: "fid calculation produces singular product; adding eps to diagonal of cov estimates".
            // With the eigendecomposition below a singular product is harmless; this only
            // triggers on overflow, and is kept so the procedure is pytorch-fid's.
            epsilonRetried = true;
            traceOfSqrt = TraceOfSqrtOfProduct(AddToDiagonal(sigma1, n, Epsilon), AddToDiagonal(sigma2, n, Epsilon), n, algebra);
        }

        // The traces are those of the covariances as given, as in pytorch-fid, not of the eps-shifted ones.
        double traceTerm = Trace(sigma1, n) + Trace(sigma2, n) - (2 * traceOfSqrt);
        return new FrechetResult(meanTerm + traceTerm, meanTerm, traceTerm, epsilonRetried, $"{Formula}; {algebra.Description}{note}");
    }

    /// <summary>
    /// The distance of each of <paramref name="many"/> to one <paramref name="reference"/> (FID's spread
    /// over groups of shards): the reference is validated and factored once (σ_ref = C Cᵀ) and each
    /// distance takes the eigenvalues of Cᵀσ_gC, one solve instead of a Cholesky, two checks and a solve.
    /// Mathematically the same trace as <see cref="Compute"/>, whose factor is the other side's, so the
    /// values agree with it to rounding (≈1e-12 relative), not bit for bit.
    /// </summary>
    public static FrechetResult[] ComputeAgainst(IReadOnlyList<GaussianStatistics> many, GaussianStatistics reference, FrechetBackend backend = FrechetBackend.Auto)
    {
        ArgumentNullException.ThrowIfNull(many);
        ArgumentNullException.ThrowIfNull(reference);
        (ISymmetricLinearAlgebra algebra, string note) = Choose(backend);
        int n = reference.Dimension;
        double[] sigmaReference = ToCovarianceMatrix(reference, "reference");
        var (factor, cholesky) = Factor(sigmaReference, n, algebra);
        double referenceTrace = Trace(sigmaReference, n);
        var results = new FrechetResult[many.Count];
        for (int i = 0; i < many.Count; i++)
        {
            GaussianStatistics a = many[i];
            if (a.Dimension != n)
            {
                throw new ArgumentException($"Cannot compare statistics of dimension {a.Dimension} with dimension {n}.", nameof(many));
            }

            double[] sigma = ToCovarianceMatrix(a, "first");
            double traceOfSqrt = TraceOfSqrt(sigma, factor, cholesky, n, algebra);
            if (!double.IsFinite(traceOfSqrt))
            {
                // The rare eps retry re-factors both sides: the procedure stays pytorch-fid's.
                results[i] = Compute(a, reference, backend);
                continue;
            }

            double meanTerm = MeanTerm(a, reference);
            double traceTerm = Trace(sigma, n) + referenceTrace - (2 * traceOfSqrt);
            results[i] = new FrechetResult(meanTerm + traceTerm, meanTerm, traceTerm, false, $"{Formula}; {algebra.Description}{note}");
        }

        return results;
    }

    private static double MeanTerm(GaussianStatistics a, GaussianStatistics b)
    {
        double meanTerm = 0;
        for (int i = 0; i < a.Dimension; i++)
        {
            double difference = a.Mu[i] - b.Mu[i];
            meanTerm += difference * difference;
        }

        return meanTerm;
    }

    private static (ISymmetricLinearAlgebra Algebra, string Note) Choose(FrechetBackend backend)
    {
        OpenBlasLinearAlgebra? native = backend == FrechetBackend.Managed ? null : OpenBlasLinearAlgebra.TryLoad();
        return backend switch
        {
            FrechetBackend.Managed => (ManagedLinearAlgebra.Instance, string.Empty),
            _ when native is not null => (native, string.Empty),
            FrechetBackend.Native => throw new InvalidOperationException($"Native LAPACK requested but {OpenBlasLinearAlgebra.UnavailableReason}."),
            _ => (ManagedLinearAlgebra.Instance, $" ({OpenBlasLinearAlgebra.UnavailableReason})"),
        };
    }

    /// <summary>
    /// tr(sqrtm(σ₁σ₂)) as Σ √λᵢ over the eigenvalues of Cᵀσ₂C for any factor σ₁ = C Cᵀ: σ₁σ₂ = C (Cᵀσ₂)
    /// is similar to Cᵀσ₂C (same eigenvalues), which is symmetric, so a symmetric eigensolver replaces
    /// scipy's general Schur-based sqrtm. C is the Cholesky factor when σ₁ is positive definite (a
    /// fraction of an eigendecomposition's cost), else V √Λ from σ₁ = V Λ Vᵀ (singular covariances).
    /// </summary>
    private static double TraceOfSqrtOfProduct(double[] sigma1, double[] sigma2, int n, ISymmetricLinearAlgebra algebra)
    {
        var (factor, cholesky) = Factor(sigma1, n, algebra);
        return TraceOfSqrt(sigma2, factor, cholesky, n, algebra);
    }

    /// <summary>C with σ = C Cᵀ: the Cholesky factor when σ is positive definite, else V √Λ.</summary>
    private static (double[] Factor, bool Cholesky) Factor(double[] sigma, int n, ISymmetricLinearAlgebra algebra)
    {
        double[] factor = (double[])sigma.Clone();
        return algebra.TryCholesky(factor, n) ? (factor, true) : (EigenFactor((double[])sigma.Clone(), n, algebra), false);
    }

    /// <summary>Σ √λ(Cᵀσ₂C): tr sqrtm(σ₁σ₂) for σ₁ = C Cᵀ.</summary>
    private static double TraceOfSqrt(double[] sigma2, double[] factor, bool cholesky, int n, ISymmetricLinearAlgebra algebra)
    {
        // Rounding leaves the product asymmetric in the last bits; each solver must see the same symmetric matrix.
        double[] product = Symmetrize(algebra.Congruence(sigma2, factor, n, lowerTriangular: cholesky), n);
        double trace = 0;
        foreach (double eigenvalue in algebra.Eigenvalues(product, n))
        {
            trace += Math.Sqrt(ClampToNonNegative(eigenvalue));
        }

        return trace;
    }

    /// <summary>C = V √Λ, column j of the eigenvectors scaled by √λⱼ, so C Cᵀ = V Λ Vᵀ = σ.</summary>
    private static double[] EigenFactor(double[] sigma, int n, ISymmetricLinearAlgebra algebra)
    {
        double[] eigenvalues = algebra.EigenDecompose(sigma, n);
        for (int column = 0; column < n; column++)
        {
            double root = Math.Sqrt(ClampToNonNegative(eigenvalues[column]));
            foreach (ref double element in sigma.AsSpan(column * n, n))
            {
                element *= root;
            }
        }

        return sigma;
    }

    /// <summary>
    /// Covariances and Cᵀσ₂C are positive semi-definite, so their exact eigenvalues are ≥ 0.
    /// When a covariance is singular (fewer samples than dimensions, pytorch-fid issue #13) the
    /// zero eigenvalues come out of the solver as ±1e-16·‖σ‖ noise; the square root of such a
    /// negative value is the tiny imaginary component pytorch-fid drops by keeping the real
    /// part, which is exactly what mapping it to 0 does.
    /// </summary>
    private static double ClampToNonNegative(double eigenvalue) => Math.Max(eigenvalue, 0);

    /// <summary>A validated, exactly symmetric copy, so row- and column-major readings agree.</summary>
    private static double[] ToCovarianceMatrix(GaussianStatistics statistics, string which)
    {
        int n = statistics.Dimension;
        double[] sigma = statistics.Sigma;
        var rowSums = new double[n];
        var rowAsymmetries = new double[n];

        // Tiles, so the transposed reads stay in cache (a 2,048-d matrix read column-wise misses on
        // every element); each row still sums its columns in ascending order.
        for (int rowStart = 0; rowStart < n; rowStart += Tile)
        {
            int rowEnd = Math.Min(rowStart + Tile, n);
            for (int columnStart = 0; columnStart < n; columnStart += Tile)
            {
                int columnEnd = Math.Min(columnStart + Tile, n);
                for (int row = rowStart; row < rowEnd; row++)
                {
                    double rowSum = rowSums[row], rowAsymmetry = rowAsymmetries[row];
                    for (int column = columnStart; column < columnEnd; column++)
                    {
                        rowSum += Math.Abs(sigma[(row * n) + column]);
                        rowAsymmetry += Math.Abs(sigma[(row * n) + column] - sigma[(column * n) + row]);
                    }

                    rowSums[row] = rowSum;
                    rowAsymmetries[row] = rowAsymmetry;
                }
            }
        }

        double scale = 0, asymmetry = 0;
        for (int row = 0; row < n; row++)
        {
            scale = Math.Max(scale, rowSums[row]);
            asymmetry = Math.Max(asymmetry, rowAsymmetries[row]);
        }

        if (!double.IsFinite(scale) || asymmetry > SymmetryTolerance * scale)
        {
            throw new ArgumentException(
                $"The {which} covariance is not a finite symmetric matrix (asymmetry {asymmetry:G3} at scale {scale:G3}).");
        }

        return Symmetrize((double[])sigma.Clone(), n);
    }

    /// <summary>Each off-diagonal pair replaced by its mean, tile by tile (see <see cref="ToCovarianceMatrix"/>).</summary>
    private static double[] Symmetrize(double[] matrix, int n)
    {
        for (int rowStart = 0; rowStart < n; rowStart += Tile)
        {
            int rowEnd = Math.Min(rowStart + Tile, n);
            for (int columnStart = rowStart; columnStart < n; columnStart += Tile)
            {
                int columnEnd = Math.Min(columnStart + Tile, n);
                for (int row = rowStart; row < rowEnd; row++)
                {
                    for (int column = Math.Max(columnStart, row + 1); column < columnEnd; column++)
                    {
                        double mean = 0.5 * (matrix[(row * n) + column] + matrix[(column * n) + row]);
                        matrix[(row * n) + column] = mean;
                        matrix[(column * n) + row] = mean;
                    }
                }
            }
        }

        return matrix;
    }

    private static double[] AddToDiagonal(double[] matrix, int n, double offset)
    {
        double[] shifted = (double[])matrix.Clone();
        for (int i = 0; i < n; i++)
        {
            shifted[(i * n) + i] += offset;
        }

        return shifted;
    }

    private static double Trace(double[] matrix, int n)
    {
        double trace = 0;
        for (int i = 0; i < n; i++)
        {
            trace += matrix[(i * n) + i];
        }

        return trace;
    }
}
