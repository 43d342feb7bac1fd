extension Gemm {
    /// `multiply`, split over the pool's workers into blocks of rows (or, for fewer than 64 rows, of
    /// columns), each block with single-threaded BLAS. BLAS threading its own calls left OpenBLAS's
    /// threads spinning in `sched_yield` afterwards, taking the second core from the pool's next
    /// kernel (about a tenth of the samples in MViT, SlowFast and X3D-S). Every element is still
    /// computed by one GEMM over the whole inner dimension. Call it outside pool work.
    static func multiplyOnPool(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let workers = Parallel.threadCount
        let byColumns = m < 64
        let extent = byColumns ? n : m
        let blocks = workers == 1 ? 1 : Swift.min(Swift.max(1, extent / 64), 4 * workers)
        KernelThreads.forEachSlice(blocks) { slice in
            for block in slice {
                let first = extent * block / blocks, count = extent * (block + 1) / blocks - first
                if byColumns {
                    multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: count, k: k,
                             a: a, lda: lda, b: b + (transposeB ? first * ldb : first), ldb: ldb,
                             beta: beta, c: c + first, ldc: ldc)
                } else {
                    multiply(transposeA: transposeA, transposeB: transposeB, m: count, n: n, k: k,
                             a: a + (transposeA ? first : first * lda), lda: lda, b: b, ldb: ldb,
                             beta: beta, c: c + first * ldc, ldc: ldc)
                }
            }
        }
    }
}
