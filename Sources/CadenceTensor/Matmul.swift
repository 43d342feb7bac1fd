/// Matrix products through `Gemm`.
extension Tensor {
    /// Matrix product with `torch.matmul` semantics: the last two dimensions are multiplied
    /// (`[..., m, k] x [..., k, n]`), leading batch dimensions broadcast, and a 1-D operand is
    /// treated as a row (left) or column (right) vector whose dimension is then dropped.
    /// Transposed views are passed to BLAS as transposed, without a copy.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank >= 1, other.rank >= 1 else {
            throw TensorError("matmul", "needs tensors of rank 1 or more, got shapes \(shape) and \(other.shape)")
        }
        if rank == 1 && other.rank == 1 { return try unsqueeze(0).matmul(other.unsqueeze(1)).reshape([]) }
        if rank == 1 { return try unsqueeze(0).matmul(other).squeeze(-2) }
        if other.rank == 1 { return try matmul(other.unsqueeze(-1)).squeeze(-1) }
        let a = self, b = other
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        guard b.shape[b.rank - 2] == k else {
            throw TensorError("matmul", "inner dimensions of shapes \(a.shape) and \(b.shape) differ")
        }
        let batchShape = try Shape.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), "matmul")
        // GEMM writes every element (beta 0), so only an empty inner dimension needs zeros.
        let out = k > 0 ? Tensor.uninitialized(batchShape + [m, n]) : Tensor.zeros(batchShape + [m, n])
        let left = MatrixOperand(a, batchShape: batchShape), right = MatrixOperand(b, batchShape: batchShape)
        let batches = Shape.count(batchShape)
        if k > 0 {
            let c = out.storage.pointer
            withExtendedLifetime((left, right)) {
                // Several products (attention heads) go one per worker, fewer are each split over
                // the pool; BLAS runs single-threaded either way (see `Gemm.multiplyOnPool`).
                if batches >= Parallel.threadCount {
                    KernelThreads.forEachSlice(batches) { slice in
                        for batch in slice {
                            Gemm.multiply(transposeA: left.transposed, transposeB: right.transposed, m: m, n: n, k: k,
                                          a: left.pointer(batch: batch), lda: left.leading,
                                          b: right.pointer(batch: batch), ldb: right.leading,
                                          c: c + batch * m * n, ldc: n)
                        }
                    }
                } else {
                    for batch in 0..<batches {
                        Gemm.multiplyOnPool(transposeA: left.transposed, transposeB: right.transposed, m: m, n: n, k: k,
                                            a: left.pointer(batch: batch), lda: left.leading,
                                            b: right.pointer(batch: batch), ldb: right.leading,
                                            c: c + batch * m * n, ldc: n)
                    }
                }
            }
        }
        return out.recording("matmul", inputs: [a, b]) { g in
            [a.requiresGrad ? try g.matmul(b.transpose(-1, -2)).sum(toShape: a.shape) : nil,
             b.requiresGrad ? try a.transpose(-1, -2).matmul(g).sum(toShape: b.shape) : nil]
        }
    }
}

/// One side of a batched GEMM: a stack of matrices BLAS can read in place, either row-major or
/// column-major (a transposed view), copied to dense memory only when it is neither.
private struct MatrixOperand {
    let tensor: Tensor
    let transposed: Bool
    let leading: Int
    let batchShape: [Int]
    let batchStrides: [Int]

    init(_ x: Tensor, batchShape: [Int]) {
        let r = x.shape[x.rank - 2], c = x.shape[x.rank - 1]
        let rowStride = x.strides[x.rank - 2], columnStride = x.strides[x.rank - 1]
        var source = x
        if (c == 1 || columnStride == 1) && (r == 1 || rowStride >= Swift.max(c, 1)) {
            transposed = false
            leading = r == 1 ? Swift.max(c, 1) : rowStride
        } else if (r == 1 || rowStride == 1) && (c == 1 || columnStride >= Swift.max(r, 1)) {
            transposed = true
            leading = c == 1 ? Swift.max(r, 1) : columnStride
        } else {
            source = Tensor.withNoGrad { x.contiguous() }
            transposed = false
            leading = Swift.max(c, 1)
        }
        tensor = source
        self.batchShape = batchShape
        batchStrides = Shape.broadcastStrides(Array(source.shape.dropLast(2)), Array(source.strides.dropLast(2)), to: batchShape)
    }

    /// First element of matrix number `batch` (row-major over the broadcast batch shape).
    func pointer(batch: Int) -> UnsafePointer<Float> {
        var position = tensor.offset
        var remainder = batch
        for d in stride(from: batchShape.count - 1, through: 0, by: -1) {
            position += (remainder % batchShape[d]) * batchStrides[d]
            remainder /= batchShape[d]
        }
        return UnsafePointer(tensor.storage.pointer + position)
    }
}
