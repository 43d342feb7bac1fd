/// Where a reduction reads from: a dense `[outer, inner]` matrix whose rows are reduced.
private struct ReductionPlan {
    let source: Tensor
    let outer: Int
    let inner: Int
    /// Result shape with the reduced dimensions kept as size 1.
    let keptShape: [Int]
    /// Result shape with the reduced dimensions removed.
    let droppedShape: [Int]

    /// `axes` nil reduces every dimension.
    init(_ x: Tensor, axes: [Int]?, _ operation: String) throws {
        let reduced = try axes.map { try Shape.axes($0, rank: x.rank, operation) } ?? Array(0..<x.rank)
        let reducedSet = Set(reduced)
        let kept = (0..<x.rank).filter { !reducedSet.contains($0) }
        let moved = try Tensor.withNoGrad { try x.permute(kept + reduced).contiguous() }
        source = moved
        outer = Shape.count(kept.map { x.shape[$0] })
        inner = Shape.count(reduced.map { x.shape[$0] })
        keptShape = (0..<x.rank).map { reducedSet.contains($0) ? 1 : x.shape[$0] }
        droppedShape = kept.map { x.shape[$0] }
    }

    /// Runs `row(pointer, inner)` for every output, in parallel when the work is large.
    func reduce(_ row: (UnsafePointer<Float>, Int) -> Float) -> [Float] {
        var out = [Float](repeating: 0, count: outer)
        let base = UnsafePointer(source.storage.pointer + source.offset)
        let n = inner
        out.withUnsafeMutableBufferPointer { results in
            let pieces = outer * inner >= StridedWalk.parallelThreshold ? min(Parallel.threadCount, outer) : 1
            Parallel.forEach(pieces) { piece in
                for o in (outer * piece / pieces)..<(outer * (piece + 1) / pieces) {
                    results[o] = row(base + o * n, n)
                }
            }
        }
        withExtendedLifetime(source) {}
        return out
    }
}

extension ReductionPlan {
    /// Sum of the single row (a full reduction), split across threads when long.
    func parallelSum() -> Double {
        let base = UnsafePointer(source.storage.pointer + source.offset)
        let n = inner
        let pieces = n >= StridedWalk.parallelThreshold ? Parallel.threadCount : 1
        var partial = [Double](repeating: 0, count: pieces)
        partial.withUnsafeMutableBufferPointer { sums in
            Parallel.forEach(pieces) { piece in
                let start = n * piece / pieces, end = n * (piece + 1) / pieces
                sums[piece] = FastMath.sum(base + start, end - start)
            }
        }
        withExtendedLifetime(source) {}
        return partial.reduce(0, +)
    }
}

extension Tensor {
    /// Sum over `axes` (every axis when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let x = self
        let reduced = try axes.map { try Shape.axes($0, rank: rank, "sum") } ?? Array(0..<rank)
        let keptShape = (0..<rank).map { reduced.contains($0) ? 1 : shape[$0] }
        let out: Tensor
        if let block = sumOverDenseBlock(reduced) {
            out = try block.reshape(keepDims ? keptShape : try Shape.reducedShape(shape, axes: reduced))
        } else {
            let plan = try ReductionPlan(x, axes: reduced, "sum")
            let values = plan.outer == 1 ? [Float(plan.parallelSum())] : plan.reduce { p, n in Float(FastMath.sum(p, n)) }
            out = try Tensor(shape: keepDims ? plan.keptShape : plan.droppedShape, values: values)
        }
        return out.recording("sum", inputs: [x]) { g in
            [try g.reshape(keptShape).expand(x.shape)]
        }
    }

    /// Sums a dense tensor over a run of neighbouring axes that is not innermost, viewing it as
    /// `[outer, reduced, inner]` and adding whole inner rows, so no transposed copy is made (the
    /// gradient of a broadcast bias, statistics over `N, T, H, W` of channels-last data).
    /// Nil when the layout does not fit.
    private func sumOverDenseBlock(_ reduced: [Int]) -> Tensor? {
        guard isContiguous, let first = reduced.first, let last = reduced.last,
              last - first + 1 == reduced.count, last < rank - 1 else { return nil }
        let outer = Shape.count(Array(shape[..<first]))
        let count = Shape.count(Array(shape[first...last]))
        let inner = Shape.count(Array(shape[(last + 1)...]))
        let source = UnsafePointer(storage.pointer + offset)
        let result = Tensor.uninitialized([outer * inner])
        let to = result.storage.pointer
        // Work items: (outer index, block of inner columns), so that small `outer` still splits.
        let columnBlock = 1024
        let blocks = (inner + columnBlock - 1) / columnBlock
        let items = outer * blocks
        let pieces = outer * count * inner >= StridedWalk.parallelThreshold ? Swift.min(Parallel.threadCount, items) : 1
        Parallel.forEach(pieces) { piece in
            var totals = [Double](repeating: 0, count: Swift.min(columnBlock, inner))
            for item in (items * piece / pieces)..<(items * (piece + 1) / pieces) {
                let o = item / blocks, start = (item % blocks) * columnBlock
                let width = Swift.min(columnBlock, inner - start)
                totals.withUnsafeMutableBufferPointer { acc in
                    for j in 0..<width { acc[j] = 0 }
                    for r in 0..<count {
                        let row = source + (o * count + r) * inner + start
                        for j in 0..<width { acc[j] += Double(row[j]) }
                    }
                    for j in 0..<width { to[o * inner + start + j] = Float(acc[j]) }
                }
            }
        }
        withExtendedLifetime(self) {}
        return result
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) throws -> Tensor { try sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (every axis when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let reduced = try axes.map { try Shape.axes($0, rank: rank, "mean") } ?? Array(0..<rank)
        let n = Shape.count(reduced.map { shape[$0] })
        return try sum(axes: reduced, keepDims: keepDims).mul(1 / Float(Swift.max(n, 1)))
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) throws -> Tensor { try mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes` (every axis when nil), dividing by `n - correction` (1: unbiased, as
    /// `torch.var`; 0: population variance, as batch norm uses).
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) throws -> Tensor {
        let reduced = try axes.map { try Shape.axes($0, rank: rank, "variance") } ?? Array(0..<rank)
        let n = Shape.count(reduced.map { shape[$0] })
        let centered = try self - mean(axes: reduced, keepDims: true)
        return try centered.square().sum(axes: reduced, keepDims: keepDims).mul(1 / Float(Swift.max(n - correction, 0)))
    }

    /// Standard deviation: the square root of `variance`.
    public func standardDeviation(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) throws -> Tensor {
        try variance(axes: axes, correction: correction, keepDims: keepDims).sqrt()
    }

    /// Maximum over `axes` (every axis when nil). The gradient is shared evenly between tied maxima.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extremum(axes: axes, keepDims: keepDims, "max") { $0 > $1 }
    }

    /// Maximum over one axis.
    public func max(axis: Int, keepDims: Bool = false) throws -> Tensor { try max(axes: [axis], keepDims: keepDims) }

    /// Minimum over `axes` (every axis when nil). The gradient is shared evenly between tied minima.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extremum(axes: axes, keepDims: keepDims, "min") { $0 < $1 }
    }

    /// Minimum over one axis.
    public func min(axis: Int, keepDims: Bool = false) throws -> Tensor { try min(axes: [axis], keepDims: keepDims) }

    private func extremum(
        axes: [Int]?, keepDims: Bool, _ name: String, _ better: @escaping (Float, Float) -> Bool
    ) throws -> Tensor {
        let x = self
        let plan = try ReductionPlan(x, axes: axes, name)
        guard plan.inner > 0 else { throw TensorError(name, "cannot reduce an empty axis of shape \(shape)") }
        let values = plan.reduce { p, n in
            var best = p[0]
            for i in 1..<Swift.max(n, 1) where better(p[i], best) || p[i].isNaN { best = p[i] }
            return best
        }
        let out = try Tensor(shape: keepDims ? plan.keptShape : plan.droppedShape, values: values)
        let kept = try out.detach().reshape(plan.keptShape)
        return out.recording(name, inputs: [x]) { g in
            let hits = try x.equal(kept)
            let ties = try hits.sum(axes: axes, keepDims: true)
            return [try hits.mul(g.reshape(plan.keptShape).div(ties))]
        }
    }

    /// Positions of the maxima along `axis` (the first one on ties), in row-major order of the
    /// remaining dimensions; every axis flattened together when `axis` is nil.
    public func argmaxIndices(axis: Int? = nil) throws -> [Int] {
        let plan = try ReductionPlan(self, axes: axis.map { [$0] }, "argmax")
        guard plan.inner > 0 else { throw TensorError("argmax", "cannot reduce an empty axis of shape \(shape)") }
        let found = plan.reduce { p, n in
            var best = 0
            for i in 1..<Swift.max(n, 1) where p[i] > p[best] || (p[i].isNaN && !p[best].isNaN) { best = i }
            return Float(best)
        }
        return found.map { Int($0) }
    }

    /// `argmaxIndices` as a tensor of the reduced shape holding the indices as floats.
    public func argmax(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(self, axes: axis.map { [$0] }, "argmax")
        let indices = try argmaxIndices(axis: axis)
        return try Tensor(shape: keepDims ? plan.keptShape : plan.droppedShape, values: indices.map { Float($0) })
    }

    /// `log(sum(exp(self)))` over `axes`, computed without overflow.
    public func logSumExp(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let peak = try Tensor.withNoGrad { try max(axes: axes, keepDims: true) }
        let safePeak = Tensor.map(peak) { $0.isFinite ? $0 : 0 }
        let total = try (self - safePeak).exp().sum(axes: axes, keepDims: true).log() + safePeak
        return keepDims ? total : try total.reshape(Shape.reducedShape(shape, axes: axes))
    }

    /// Sums a broadcast gradient back down to `target`, the shape of the tensor that was broadcast.
    func sum(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var axes = Array(0..<Swift.max(lead, 0))
        for i in 0..<target.count where target[i] == 1 && shape[i + lead] != 1 { axes.append(i + lead) }
        return try sum(axes: axes, keepDims: true).reshape(target)
    }
}

extension Shape {
    /// `shape` with `axes` removed.
    static func reducedShape(_ shape: [Int], axes: [Int]) throws -> [Int] {
        let removed = Set(try Shape.axes(axes, rank: shape.count, "reduce"))
        return shape.indices.filter { !removed.contains($0) }.map { shape[$0] }
    }
}
