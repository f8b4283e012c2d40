using System.Runtime.InteropServices;

namespace OrleansFlow.Statistics;

/// <summary>
/// <see cref="ISymmetricLinearAlgebra"/> on OpenBLAS' LAPACK (dpotrf, dsyevd) and BLAS (dtrmm, dsymm, dgemm), called
/// directly through <see cref="OpenBlasMethods"/>: the optimised, multi-threaded kernels numpy and scipy
/// use on Debian. <see cref="TryLoad"/> finds out once per process whether the library is there.
/// </summary>
internal sealed unsafe class OpenBlasLinearAlgebra : ISymmetricLinearAlgebra
{
    private static readonly Lazy<OpenBlasLinearAlgebra?> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private OpenBlasLinearAlgebra(string config)
    {
        Description = $"LAPACK: {config} (dpotrf, dsyevd, dtrmm)";
    }

    public string Description { get; }

    /// <summary>Why the last <see cref="TryLoad"/> found no library, for the record of the managed fallback.</summary>
    public static string UnavailableReason { get; private set; } = string.Empty;

    /// <summary>The native implementation, or null when <c>libopenblas.so.0</c> cannot be loaded here.</summary>
    public static OpenBlasLinearAlgebra? TryLoad() => Loaded.Value;

    public double[] EigenDecompose(double[] matrix, int n) => Syevd(matrix, n, withVectors: true);

    public double[] Eigenvalues(double[] matrix, int n) => Syevd(matrix, n, withVectors: false);

    public bool TryCholesky(double[] matrix, int n)
    {
        byte lower = (byte)'L';
        int info;
        fixed (double* a = matrix)
        {
            OpenBlasMethods.Dpotrf(&lower, &n, a, &n, &info, 1);
        }

        if (info < 0)
        {
            throw new InvalidOperationException($"LAPACK dpotrf rejected argument {-info}.");
        }

        if (info > 0)
        {
            return false;
        }

        // dpotrf leaves the upper triangle as it was; the factor is L alone.
        for (int column = 1; column < n; column++)
        {
            Array.Clear(matrix, column * n, column);
        }

        return true;
    }

    public double[] Congruence(double[] symmetric, double[] a, int n, bool lowerTriangular) =>
        lowerTriangular ? TriangularCongruence(symmetric, a, n) : GeneralCongruence(symmetric, a, n);

    /// <summary>Lᵀ·S·L as two triangular products in place (dtrmm: half the flops of dgemm).</summary>
    private static double[] TriangularCongruence(double[] symmetric, double[] factor, int n)
    {
        double[] result = (double[])symmetric.Clone();
        byte left = (byte)'L', right = (byte)'R', lower = (byte)'L', transposed = (byte)'T', plain = (byte)'N', nonUnit = (byte)'N';
        double one = 1;
        fixed (double* l = factor, r = result)
        {
            OpenBlasMethods.Dtrmm(&right, &lower, &plain, &nonUnit, &n, &n, &one, l, &n, r, &n, 1, 1, 1, 1);
            OpenBlasMethods.Dtrmm(&left, &lower, &transposed, &nonUnit, &n, &n, &one, l, &n, r, &n, 1, 1, 1, 1);
        }

        return result;
    }

    private static double[] GeneralCongruence(double[] symmetric, double[] a, int n)
    {
        var product = new double[(long)n * n];
        var result = new double[(long)n * n];
        byte left = (byte)'L', lower = (byte)'L', transposed = (byte)'T', plain = (byte)'N';
        double one = 1, zero = 0;
        fixed (double* s = symmetric, f = a, p = product, r = result)
        {
            // S·A with S symmetric (dsymm reads its lower triangle), then Aᵀ·(S·A).
            OpenBlasMethods.Dsymm(&left, &lower, &n, &n, &one, s, &n, f, &n, &zero, p, &n, 1, 1);
            OpenBlasMethods.Dgemm(&transposed, &plain, &n, &n, &n, &one, f, &n, p, &n, &zero, r, &n, 1, 1);
        }

        return result;
    }

    private static double[] Syevd(double[] matrix, int n, bool withVectors)
    {
        var eigenvalues = new double[n];
        byte job = withVectors ? (byte)'V' : (byte)'N', lower = (byte)'L';
        int info, query = -1, optimalIntegers;
        double optimalDoubles;
        fixed (double* a = matrix, w = eigenvalues)
        {
            OpenBlasMethods.Dsyevd(&job, &lower, &n, a, &n, w, &optimalDoubles, &query, &optimalIntegers, &query, &info, 1, 1);
            ThrowIfFailed(info, "workspace query");
            int doubles = (int)optimalDoubles, integers = optimalIntegers;
            var work = new double[doubles];
            var iwork = new int[integers];
            fixed (double* workspace = work)
            fixed (int* integerWorkspace = iwork)
            {
                OpenBlasMethods.Dsyevd(&job, &lower, &n, a, &n, w, workspace, &doubles, integerWorkspace, &integers, &info, 1, 1);
            }
        }

        ThrowIfFailed(info, "eigendecomposition");
        return eigenvalues;
    }

    private static void ThrowIfFailed(int info, string stage)
    {
        if (info != 0)
        {
            // info < 0: argument -info was illegal (a bug here); info > 0: the solver did not converge.
            throw new InvalidOperationException($"LAPACK dsyevd {stage} failed with info = {info}.");
        }
    }

    private static OpenBlasLinearAlgebra? Load()
    {
        try
        {
            BlasThreads.EnsurePinned();
            string config = Marshal.PtrToStringUTF8(OpenBlasMethods.GetConfig())?.Trim() ?? "OpenBLAS";
            return new OpenBlasLinearAlgebra(config);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            UnavailableReason = $"{OpenBlasMethods.Library} not loadable ({e.GetType().Name}); install Debian's libopenblas0-pthread";
            return null;
        }
    }
}
