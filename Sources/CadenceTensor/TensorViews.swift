/// Movement operations. Each returns a view of the same storage (no copy) except `reshape` of a
/// layout that cannot express the new shape, which copies.
extension Tensor {
    /// A view with `shape` (one entry may be -1: inferred). Copies only when the current strides
    /// cannot express the new shape (as `torch.reshape`).
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        let target = try resolve(newShape)
        if target == shape { return self }
        let x = self
        let out: Tensor
        if let viewStrides = Shape.viewStrides(shape, strides, target) {
            out = Tensor(storage: storage, shape: target, strides: viewStrides, offset: offset)
        } else {
            let dense = Tensor.withNoGrad { contiguous() }
            out = Tensor(storage: dense.storage, shape: target, strides: Shape.contiguousStrides(target), offset: dense.offset)
        }
        return out.recording("reshape", inputs: [x]) { g in [try g.reshape(x.shape)] }
    }

    private func resolve(_ newShape: [Int]) throws -> [Int] {
        let unknown = newShape.indices.filter { newShape[$0] == -1 }
        guard unknown.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError("reshape", "invalid shape \(newShape)")
        }
        var target = newShape
        if let u = unknown.first {
            let known = Shape.count(newShape.filter { $0 != -1 })
            guard known > 0, count % known == 0 else {
                throw TensorError("reshape", "cannot infer -1 in \(newShape) for \(count) elements")
            }
            target[u] = count / known
        }
        guard Shape.count(target) == count else {
            throw TensorError("reshape", "shape \(newShape) does not hold the \(count) elements of shape \(shape)")
        }
        return target
    }

    /// Dimensions reordered: result dimension `i` is this tensor's dimension `axes[i]`.
    public func permute(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank else {
            throw TensorError("permute", "\(axes) does not list the \(rank) axes of shape \(shape)")
        }
        let order = try axes.map { try Shape.axis($0, rank: rank, "permute") }
        guard Set(order).count == rank else { throw TensorError("permute", "\(axes) is not a permutation") }
        if order == Array(0..<rank) { return self }
        let x = self
        let out = Tensor(storage: storage, shape: order.map { shape[$0] }, strides: order.map { strides[$0] }, offset: offset)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in order.enumerated() { inverse[a] = i }
        return out.recording("permute", inputs: [x]) { g in [try g.permute(inverse)] }
    }

    /// Two dimensions swapped.
    public func transpose(_ a: Int, _ b: Int) throws -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(try Shape.axis(a, rank: rank, "transpose"), try Shape.axis(b, rank: rank, "transpose"))
        return try permute(axes)
    }

    /// A size-1 dimension inserted at `axis` (which may equal the rank, or be negative).
    public func unsqueeze(_ axis: Int) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank + 1, "unsqueeze")
        var newShape = shape
        newShape.insert(1, at: a)
        return try reshape(newShape)
    }

    /// The size-1 dimension `axis` removed.
    public func squeeze(_ axis: Int) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "squeeze")
        guard shape[a] == 1 else { throw TensorError("squeeze", "dimension \(axis) of shape \(shape) is not 1") }
        var newShape = shape
        newShape.remove(at: a)
        return try reshape(newShape)
    }

    /// Dimensions `start...end` merged into one.
    public func flatten(from start: Int = 0, to end: Int = -1) throws -> Tensor {
        if rank == 0 { return try reshape([1]) }
        let s = try Shape.axis(start, rank: rank, "flatten"), e = try Shape.axis(end, rank: rank, "flatten")
        guard s <= e else { throw TensorError("flatten", "start axis \(start) is after end axis \(end)") }
        let merged = Shape.count(Array(shape[s...e]))
        return try reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Elements `start, start+step, ...` below `end` along `axis` (negative `start`/`end` count from
    /// the end; both are clamped to the dimension, as Python slicing).
    public func slice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "slice")
        guard step > 0 else { throw TensorError("slice", "step must be positive, got \(step)") }
        let size = shape[a]
        func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + size : i, 0), size) }
        let from = clampIndex(start), to = clampIndex(end ?? size)
        let length = to > from ? (to - from + step - 1) / step : 0
        var newShape = shape, newStrides = strides
        newShape[a] = length
        newStrides[a] = strides[a] * step
        let x = self
        let out = Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset + from * strides[a])
        return out.recording("slice", inputs: [x]) { g in
            let full = Tensor.zeros(x.shape)
            try full.slice(axis: a, start: from, end: to, step: step).assign(g)
            return [full]
        }
    }

    /// `length` elements from `start` along `axis` (as `torch.narrow`).
    public func narrow(axis: Int, start: Int, length: Int) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "narrow")
        guard start >= 0, length >= 0, start + length <= shape[a] else {
            throw TensorError("narrow", "range \(start)..<\(start + length) is outside dimension \(axis) of shape \(shape)")
        }
        return try slice(axis: a, start: start, end: start + length)
    }

    /// A view broadcast to `newShape` (size-1 dimensions stretched, new leading dimensions added)
    /// without copying. Gradients are summed back over the stretched dimensions.
    public func expand(_ newShape: [Int]) throws -> Tensor {
        if newShape == shape { return self }
        guard (try? Shape.broadcast(shape, newShape, "expand")) == newShape else {
            throw TensorError("expand", "cannot expand shape \(shape) to \(newShape)")
        }
        let x = self
        let out = Tensor(storage: storage, shape: newShape, strides: Shape.broadcastStrides(shape, strides, to: newShape), offset: offset)
        return out.recording("expand", inputs: [x]) { g in [try g.sum(toShape: x.shape)] }
    }
}
