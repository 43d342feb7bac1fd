/// Joining tensors along an axis, and cutting one into pieces.
extension Tensor {
    /// `tensors` joined along `axis`; all other dimensions must agree. Copies.
    public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("concat", "needs at least one tensor") }
        let a = try Shape.axis(axis, rank: first.rank, "concat")
        for t in tensors {
            var expected = first.shape, actual = t.shape
            guard t.rank == first.rank else {
                throw TensorError("concat", "shapes \(first.shape) and \(t.shape) differ in rank")
            }
            expected[a] = 0
            actual[a] = 0
            guard expected == actual else {
                throw TensorError("concat", "shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
            }
        }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor.uninitialized(outShape)
        var starts: [Int] = []
        var position = 0
        try withNoGrad {
            for t in tensors {
                starts.append(position)
                try out.narrow(axis: a, start: position, length: t.shape[a]).assign(t)
                position += t.shape[a]
            }
        }
        return out.recording("concat", inputs: tensors) { g in
            try zip(tensors, starts).map { t, start in
                t.requiresGrad ? try g.narrow(axis: a, start: start, length: t.shape[a]) : nil
            }
        }
    }

    /// `tensors` (all of one shape) stacked along a new dimension `axis`.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("stack", "needs at least one tensor") }
        let a = try Shape.axis(axis, rank: first.rank + 1, "stack")
        return try concat(tensors.map { try $0.unsqueeze(a) }, axis: a)
    }

    /// Views of consecutive pieces of `sizes` elements along `axis`; the sizes must add up to it.
    public func split(sizes: [Int], axis: Int) throws -> [Tensor] {
        let a = try Shape.axis(axis, rank: rank, "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
            throw TensorError("split", "sizes \(sizes) do not add up to dimension \(axis) of shape \(shape)")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try narrow(axis: a, start: start, length: size)
        }
    }

    /// `count` views along `axis` of equal size (the last may be smaller), as `torch.chunk`:
    /// each piece holds `ceil(size / count)` elements, so fewer pieces may come back.
    public func chunk(_ count: Int, axis: Int) throws -> [Tensor] {
        let a = try Shape.axis(axis, rank: rank, "chunk")
        guard count > 0 else { throw TensorError("chunk", "needs a positive number of chunks, got \(count)") }
        let size = shape[a]
        let piece = Swift.max(1, (size + count - 1) / count)
        let sizes = stride(from: 0, to: size, by: piece).map { Swift.min(piece, size - $0) }
        return try split(sizes: sizes, axis: a)
    }
}
