using System.Runtime.InteropServices;

namespace OrleansFlow.Statistics;

/// <summary>
/// The Fortran ABI of the LAPACK and BLAS routines in OpenBLAS (Debian: <c>libopenblas0-pthread</c>):
/// every argument by reference, and each <c>character</c> argument followed by a hidden length at the
/// end of the list (gfortran's convention; LAPACK 3.11 reads them). Matrices are column-major.
/// </summary>
internal static unsafe partial class OpenBlasMethods
{
    public const string Library = "libopenblas.so.0";

    /// <summary>Symmetric eigendecomposition by divide and conquer (LAPACK dsyevd).</summary>
    [LibraryImport(Library, EntryPoint = "dsyevd_")]
    public static partial void Dsyevd(
        byte* jobz, byte* uplo, int* n, double* a, int* lda, double* w, double* work, int* lwork, int* iwork, int* liwork, int* info,
        nuint jobzLength, nuint uploLength);

    /// <summary>Cholesky factorisation A = L·Lᵀ (LAPACK dpotrf); info &gt; 0 when A is not positive definite.</summary>
    [LibraryImport(Library, EntryPoint = "dpotrf_")]
    public static partial void Dpotrf(byte* uplo, int* n, double* a, int* lda, int* info, nuint uploLength);

    /// <summary>B = α·op(A)·B or α·B·op(A) for a triangular A (BLAS dtrmm).</summary>
    [LibraryImport(Library, EntryPoint = "dtrmm_")]
    public static partial void Dtrmm(
        byte* side, byte* uplo, byte* transa, byte* diag, int* m, int* n, double* alpha, double* a, int* lda, double* b, int* ldb,
        nuint sideLength, nuint uploLength, nuint transaLength, nuint diagLength);

    /// <summary>C = α·op(A)·op(B) + β·C (BLAS dgemm).</summary>
    [LibraryImport(Library, EntryPoint = "dgemm_")]
    public static partial void Dgemm(
        byte* transa, byte* transb, int* m, int* n, int* k, double* alpha, double* a, int* lda, double* b, int* ldb, double* beta, double* c, int* ldc,
        nuint transaLength, nuint transbLength);

    /// <summary>C = α·A·B + β·C for a symmetric A on the left (BLAS dsymm).</summary>
    [LibraryImport(Library, EntryPoint = "dsymm_")]
    public static partial void Dsymm(
        byte* side, byte* uplo, int* m, int* n, double* alpha, double* a, int* lda, double* b, int* ldb, double* beta, double* c, int* ldc,
        nuint sideLength, nuint uploLength);

    /// <summary>OpenBLAS' build string, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".</summary>
    [LibraryImport(Library, EntryPoint = "openblas_get_config")]
    public static partial IntPtr GetConfig();
}
