import CBLAS

/// Single-precision GEMM through the system CBLAS (OpenBLAS on Linux, Accelerate on Apple):
/// `C = alpha * op(A) * op(B) + beta * C`, row-major.
public enum Gemm {
    /// Computes `C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C` with row-major leading dimensions.
    @inlinable
    public static func multiply(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets the threads BLAS may use for the calls that follow. Call with 1 before calling GEMM from
    /// inside `Parallel.forEach` work, and with `Parallel.threadCount` for one large GEMM.
    public static func setThreads(_ n: Int) {
        #if !canImport(Darwin)
        openblas_set_num_threads(Int32(max(1, n)))
        #endif
    }
}
