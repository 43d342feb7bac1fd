/// Shape and stride arithmetic shared by the tensor operations.
enum Shape {
    /// Number of elements of a shape (1 for a scalar's empty shape).
    @inline(__always)
    static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n &*= d }
        return n
    }

    /// Row-major strides of a densely packed tensor.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = step
            step *= max(shape[d], 1)
        }
        return strides
    }

    /// Maps a possibly negative axis into `0..<rank`.
    static func axis(_ axis: Int, rank: Int, _ operation: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else {
            throw TensorError(operation, "axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return a
    }

    /// Normalised, sorted, distinct axes.
    static func axes(_ axes: [Int], rank: Int, _ operation: String) throws -> [Int] {
        let normal = try axes.map { try axis($0, rank: rank, operation) }
        guard Set(normal).count == normal.count else {
            throw TensorError(operation, "axes \(axes) repeat an axis")
        }
        return normal.sorted()
    }

    /// NumPy broadcasting of two shapes, aligned at their last dimensions.
    static func broadcast(_ a: [Int], _ b: [Int], _ operation: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                throw TensorError(operation, "shapes \(a) and \(b) do not broadcast")
            }
        }
        return out
    }

    /// Strides that read a tensor of `shape`/`strides` as if it had the (broadcast) shape `target`:
    /// new leading dimensions and stretched size-1 dimensions get stride 0.
    static func broadcastStrides(_ shape: [Int], _ strides: [Int], to target: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: target.count)
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] == target[i + lead] && shape[i] != 1 {
            out[i + lead] = strides[i]
        }
        return out
    }

    /// Strides that let a tensor of `oldShape`/`oldStrides` be viewed with `newShape` without copying,
    /// or nil when its memory layout cannot express the new shape.
    static func viewStrides(_ oldShape: [Int], _ oldStrides: [Int], _ newShape: [Int]) -> [Int]? {
        if oldShape.isEmpty || count(oldShape) == 0 { return contiguousStrides(newShape) }
        var newStrides = [Int](repeating: 1, count: newShape.count)
        var viewDim = newShape.count - 1
        // Walk the old dimensions from the innermost, grouping runs that are contiguous with each
        // other; each run must be split exactly by a run of new dimensions.
        var chunkBaseStride = oldStrides[oldStrides.count - 1]
        var tensorElements = 1
        var viewElements = 1
        for tensorDim in stride(from: oldShape.count - 1, through: 0, by: -1) {
            tensorElements *= oldShape[tensorDim]
            let runEnds = tensorDim == 0
                || (oldShape[tensorDim - 1] != 1 && oldStrides[tensorDim - 1] != tensorElements * chunkBaseStride)
            guard runEnds else { continue }
            while viewDim >= 0 && (viewElements < tensorElements || newShape[viewDim] == 1) {
                newStrides[viewDim] = viewElements * chunkBaseStride
                viewElements *= newShape[viewDim]
                viewDim -= 1
            }
            if viewElements != tensorElements { return nil }
            if tensorDim > 0 {
                chunkBaseStride = oldStrides[tensorDim - 1]
                tensorElements = 1
                viewElements = 1
            }
        }
        return viewDim == -1 ? newStrides : nil
    }
}
