/// Visits every element of several same-shaped strided operands (one of them usually a freshly
/// allocated contiguous output), one innermost row at a time.
///
/// Dimensions of size 1 are dropped and neighbouring dimensions that are contiguous with each other
/// in every operand are merged first, so that dense tensors become a single long row and the per-row
/// closure call is paid rarely. Large walks are split across `Parallel`.
enum StridedWalk {
    /// Elements below which a walk stays on the calling thread.
    static let parallelThreshold = 1 << 15

    /// Merges dimensions: drops size-1 dimensions and fuses `d` into `d+1` when every operand
    /// steps over `d+1` exactly once per step of `d`.
    static func coalesce(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
        var outShape: [Int] = []
        var outStrides = [[Int]](repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = outShape.last,
               strides.indices.allSatisfy({ outStrides[$0][outStrides[$0].count - 1] == strides[$0][d] * shape[d] }) {
                outShape[outShape.count - 1] = last * shape[d]
                for o in strides.indices { outStrides[o][outStrides[o].count - 1] = strides[o][d] }
            } else {
                outShape.append(shape[d])
                for o in strides.indices { outStrides[o].append(strides[o][d]) }
            }
        }
        if outShape.isEmpty {
            return ([1], strides.map { _ in [1] })
        }
        return (outShape, outStrides)
    }

    /// Calls `body(offsets, n, innerStrides)` for each innermost row: `offsets[o]` is operand `o`'s
    /// element offset at the row start, the row has `n` elements, and operand `o` advances by
    /// `innerStrides[o]` per element. Rows may be visited concurrently.
    static func rows(
        _ shape: [Int], _ strides: [[Int]], _ bases: [Int],
        _ body: (_ offsets: UnsafeBufferPointer<Int>, _ n: Int, _ innerStrides: UnsafeBufferPointer<Int>) -> Void
    ) {
        let total = Shape.count(shape)
        guard total > 0 else { return }
        let (dims, steps) = coalesce(shape, strides)
        let operands = strides.count
        let rank = dims.count
        let n = dims[rank - 1]
        let inner = steps.map { $0[rank - 1] }
        let rowCount = total / n
        let wanted = total >= parallelThreshold ? Parallel.threadCount : 1
        inner.withUnsafeBufferPointer { innerBase in
            if rowCount == 1 {
                // One long row: split the row itself.
                let pieces = min(wanted, max(1, n / 4096))
                Parallel.forEach(pieces) { piece in
                    let start = n * piece / pieces
                    let end = n * (piece + 1) / pieces
                    var offsets = bases
                    for o in 0..<operands { offsets[o] += start * inner[o] }
                    offsets.withUnsafeBufferPointer { body($0, end - start, innerBase) }
                }
                return
            }
            let pieces = min(wanted, rowCount)
            Parallel.forEach(pieces) { piece in
                let first = rowCount * piece / pieces
                let last = rowCount * (piece + 1) / pieces
                var index = [Int](repeating: 0, count: rank - 1)
                var offsets = bases
                var remainder = first
                for d in stride(from: rank - 2, through: 0, by: -1) {
                    index[d] = remainder % dims[d]
                    remainder /= dims[d]
                    for o in 0..<operands { offsets[o] += index[d] * steps[o][d] }
                }
                offsets.withUnsafeMutableBufferPointer { offs in
                    for _ in first..<last {
                        body(UnsafeBufferPointer(offs), n, innerBase)
                        var d = rank - 2
                        while d >= 0 {
                            index[d] += 1
                            for o in 0..<operands { offs[o] += steps[o][d] }
                            if index[d] < dims[d] { break }
                            for o in 0..<operands { offs[o] -= steps[o][d] * dims[d] }
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Elementwise maps into new contiguous tensors

/// Elementwise functions the map kernels are generic over. Generic specialisation (unlike a closure
/// passed across the thread pool) inlines the function into the loop, which then vectorises.
protocol UnaryFunction { func callAsFunction(_ x: Float) -> Float }
protocol BinaryFunction { func callAsFunction(_ x: Float, _ y: Float) -> Float }
protocol TernaryFunction { func callAsFunction(_ x: Float, _ y: Float, _ z: Float) -> Float }

/// Closure adapters for the cold paths (comparisons, rarely used gradients).
struct UnaryClosure: UnaryFunction {
    let body: (Float) -> Float
    func callAsFunction(_ x: Float) -> Float { body(x) }
}
struct BinaryClosure: BinaryFunction {
    let body: (Float, Float) -> Float
    func callAsFunction(_ x: Float, _ y: Float) -> Float { body(x, y) }
}
struct TernaryClosure: TernaryFunction {
    let body: (Float, Float, Float) -> Float
    func callAsFunction(_ x: Float, _ y: Float, _ z: Float) -> Float { body(x, y, z) }
}

extension Tensor {
    /// `f` applied to every element, into a new contiguous tensor.
    static func map<F: UnaryFunction>(_ x: Tensor, _ f: F) -> Tensor {
        let out = Tensor.uninitialized(x.shape)
        let o = out.storage.pointer
        let a = x.storage.pointer
        withExtendedLifetime(x) {
            StridedWalk.rows(x.shape, [out.strides, x.strides], [0, x.offset]) { offs, n, s in
                let po = o + offs[0], pa = a + offs[1]
                if s[1] == 1 {
                    for j in 0..<n { po[j] = f(pa[j]) }
                } else {
                    let sa = s[1]
                    for j in 0..<n { po[j] = f(pa[j * sa]) }
                }
            }
        }
        return out
    }

    static func map(_ x: Tensor, _ f: @escaping (Float) -> Float) -> Tensor { map(x, UnaryClosure(body: f)) }

    /// `f` over two tensors broadcast against each other, into a new contiguous tensor.
    static func map<F: BinaryFunction>(_ x: Tensor, _ y: Tensor, _ operation: String, _ f: F) throws -> Tensor {
        let shape = x.shape == y.shape ? x.shape : try Shape.broadcast(x.shape, y.shape, operation)
        let out = Tensor.uninitialized(shape)
        let sx = x.shape == shape ? x.strides : Shape.broadcastStrides(x.shape, x.strides, to: shape)
        let sy = y.shape == shape ? y.strides : Shape.broadcastStrides(y.shape, y.strides, to: shape)
        let o = out.storage.pointer, a = x.storage.pointer, b = y.storage.pointer
        withExtendedLifetime((x, y)) {
            StridedWalk.rows(shape, [out.strides, sx, sy], [0, x.offset, y.offset]) { offs, n, s in
                let po = o + offs[0], pa = a + offs[1], pb = b + offs[2]
                if s[1] == 1 && s[2] == 1 {
                    for j in 0..<n { po[j] = f(pa[j], pb[j]) }
                } else if s[1] == 1 && s[2] == 0 {
                    let vb = pb[0]
                    for j in 0..<n { po[j] = f(pa[j], vb) }
                } else if s[1] == 0 && s[2] == 1 {
                    let va = pa[0]
                    for j in 0..<n { po[j] = f(va, pb[j]) }
                } else {
                    let sa = s[1], sb = s[2]
                    for j in 0..<n { po[j] = f(pa[j * sa], pb[j * sb]) }
                }
            }
        }
        return out
    }

    static func map(_ x: Tensor, _ y: Tensor, _ operation: String, _ f: @escaping (Float, Float) -> Float) throws -> Tensor {
        try map(x, y, operation, BinaryClosure(body: f))
    }

    /// `f` over three tensors broadcast against each other, into a new contiguous tensor.
    static func map<F: TernaryFunction>(_ x: Tensor, _ y: Tensor, _ z: Tensor, _ operation: String, _ f: F) throws -> Tensor {
        let shape = try Shape.broadcast(Shape.broadcast(x.shape, y.shape, operation), z.shape, operation)
        let out = Tensor.uninitialized(shape)
        let strides = [out.strides] + [x, y, z].map { Shape.broadcastStrides($0.shape, $0.strides, to: shape) }
        let o = out.storage.pointer, a = x.storage.pointer, b = y.storage.pointer, c = z.storage.pointer
        withExtendedLifetime((x, y, z)) {
            StridedWalk.rows(shape, strides, [0, x.offset, y.offset, z.offset]) { offs, n, s in
                let po = o + offs[0], pa = a + offs[1], pb = b + offs[2], pc = c + offs[3]
                let sa = s[1], sb = s[2], sc = s[3]
                if sa == 1 && sb == 1 && sc == 1 {
                    for j in 0..<n { po[j] = f(pa[j], pb[j], pc[j]) }
                } else {
                    for j in 0..<n { po[j] = f(pa[j * sa], pb[j * sb], pc[j * sc]) }
                }
            }
        }
        return out
    }

    static func map(
        _ x: Tensor, _ y: Tensor, _ z: Tensor, _ operation: String, _ f: @escaping (Float, Float, Float) -> Float
    ) throws -> Tensor {
        try map(x, y, z, operation, TernaryClosure(body: f))
    }
}
