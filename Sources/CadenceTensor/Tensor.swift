/// An n-dimensional array of Float32 values with reverse-mode autograd.
///
/// A tensor is a view: `shape`, `strides` and `offset` say where its elements lie in a shared
/// `TensorStorage`. Movement operations (`reshape`, `permute`, `slice`, `expand`, ...) return new
/// views of the same storage; every other operation writes a new contiguous tensor. Kernels that
/// need dense memory call `contiguous()`, which copies only when the view is not dense already.
///
/// `Tensor` is a class: gradients accumulate into `grad` of the very object that `requiresGrad`.
public final class Tensor: @unchecked Sendable {
    /// The memory this tensor reads; shared with its views.
    public let storage: TensorStorage
    /// Size of each dimension; empty for a scalar.
    public let shape: [Int]
    /// Elements to step in `storage` per step along each dimension (0 along broadcast dimensions).
    public let strides: [Int]
    /// Index in `storage` of the first element.
    public let offset: Int

    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs); results of
    /// operations on such tensors require gradients automatically while gradients are enabled.
    public var requiresGrad: Bool
    /// Gradient accumulated by `backward()` calls on losses computed from this leaf tensor.
    public var grad: Tensor?
    /// How this tensor was computed, for the backward pass; nil for leaves and in no-grad scopes.
    var gradNode: GradNode?

    /// A view of `storage`.
    public init(storage: TensorStorage, shape: [Int], strides: [Int], offset: Int = 0, requiresGrad: Bool = false) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.requiresGrad = requiresGrad
    }

    /// A new contiguous tensor whose elements are still to be written.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(storage: TensorStorage(count: Shape.count(shape)), shape: shape, strides: Shape.contiguousStrides(shape))
    }

    /// A new contiguous tensor whose elements are uninitialised: a kernel's output buffer, to be
    /// written in full through `unsafeDataPointer` before it is read.
    public static func empty(_ shape: [Int]) -> Tensor { uninitialized(shape.map { Swift.max($0, 0) }) }

    /// Address of the first element (`storage.pointer + offset`); elements lie at `strides`.
    /// Valid only while this tensor is alive: keep it so with `withExtendedLifetime` around the
    /// kernel call. Kernels call `contiguous()` first and read `count` dense elements from here.
    public var unsafeDataPointer: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// A new contiguous tensor of `shape` whose elements `initializer` writes, in row-major order.
    /// The buffer starts uninitialised (and 64-byte aligned): `initializer` must write every
    /// element. This is how kernels produce their outputs.
    public convenience init(
        shape: [Int], initializingWith initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        let storage = TensorStorage(count: Shape.count(shape))
        try initializer(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape))
    }

    /// A new contiguous tensor holding `values` in row-major order.
    public convenience init(shape: [Int], values: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError("Tensor(shape:values:)", "negative size in shape \(shape)") }
        guard Shape.count(shape) == values.count else {
            throw TensorError("Tensor(shape:values:)", "shape \(shape) holds \(Shape.count(shape)) values, got \(values.count)")
        }
        self.init(shape: shape) { buffer in
            values.withUnsafeBufferPointer { source in
                if let from = source.baseAddress, let to = buffer.baseAddress { to.update(from: from, count: source.count) }
            }
        }
    }

    /// A scalar (rank-0) tensor.
    public convenience init(_ value: Float) {
        self.init(shape: []) { $0[0] = value }
    }

    /// Number of elements.
    public var count: Int { Shape.count(shape) }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Whether the elements are densely packed in row-major order from `offset`.
    public var isContiguous: Bool {
        var expected = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// This tensor if it is dense, otherwise a dense copy. Gradients flow through.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        return copy(operation: "contiguous")
    }

    /// A dense copy that shares no memory with this tensor. Gradients flow through.
    public func clone() -> Tensor { copy(operation: "clone") }

    private func copy(operation: String) -> Tensor {
        let dense = transposedCopy() ?? Tensor.map(self, Identity())
        return dense.recording(operation, inputs: [self]) { grad in [grad] }
    }

    /// A dense copy made in square tiles, for views whose innermost dimension is not the one
    /// adjacent in memory (a permute that moves channels): copying row by row would read each
    /// cache line once per row. Nil when the plain row copy is fine.
    private func transposedCopy() -> Tensor? {
        let out = Tensor.uninitialized(shape)
        let (dims, steps) = StridedWalk.coalesce(shape, [out.strides, strides])
        let last = dims.count - 1
        guard last >= 1, steps[1][last] != 1, dims[last] >= 8,
              let k = (0..<last).first(where: { steps[1][$0] == 1 && dims[$0] >= 8 }) else { return nil }
        let rows = dims[k], columns = dims[last]
        let dstRow = steps[0][k], srcColumn = steps[1][last]
        var outerShape = dims
        outerShape[k] = 1
        outerShape[last] = 1
        let to = out.storage.pointer, from = storage.pointer
        let tile = 16
        withExtendedLifetime(self) {
            StridedWalk.rows(outerShape, steps, [0, offset]) { offs, n, s in
                for j in 0..<n {
                    let dst = to + offs[0] + j * s[0], src = from + offs[1] + j * s[1]
                    for r0 in stride(from: 0, to: rows, by: tile) {
                        let r1 = Swift.min(r0 + tile, rows)
                        for c0 in stride(from: 0, to: columns, by: tile) {
                            let c1 = Swift.min(c0 + tile, columns)
                            for r in r0..<r1 {
                                for c in c0..<c1 { dst[r * dstRow + c] = src[r + c * srcColumn] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// A view of the same memory that is cut from the autograd graph.
    public func detach() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Calls `body` with the elements in row-major order (copying first if the view is not dense).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let dense = isContiguous ? self : Tensor.withNoGrad { contiguous() }
        return try withExtendedLifetime(dense) {
            try body(UnsafeBufferPointer(start: dense.storage.pointer + dense.offset, count: dense.count))
        }
    }

    /// Calls `body` with this tensor's own memory, for in-place updates outside autograd (optimizer
    /// steps, running statistics). Throws if the tensor is not contiguous, since writes would then
    /// miss or repeat elements.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) throws -> R {
        guard isContiguous else {
            throw TensorError("withUnsafeMutableBufferPointer", "tensor of shape \(shape) is not contiguous")
        }
        return try withExtendedLifetime(self) {
            try body(UnsafeMutableBufferPointer(start: storage.pointer + offset, count: count))
        }
    }

    /// The elements in row-major order.
    public func toArray() -> [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The value of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else { throw TensorError("item", "tensor of shape \(shape) has \(count) elements, not 1") }
        return storage.pointer[offset]
    }

    /// The element at a multi-index (one entry per dimension).
    public func value(at index: [Int]) throws -> Float {
        guard index.count == rank else {
            throw TensorError("value(at:)", "index \(index) has \(index.count) entries for a tensor of rank \(rank)")
        }
        var position = offset
        for d in 0..<rank {
            guard index[d] >= 0, index[d] < shape[d] else {
                throw TensorError("value(at:)", "index \(index) is out of range for shape \(shape)")
            }
            position += index[d] * strides[d]
        }
        return storage.pointer[position]
    }
}

extension Tensor: CustomStringConvertible {
    /// Shape, and the values when there are few of them.
    public var description: String {
        let values = count <= 16 ? " \(toArray())" : ""
        return "Tensor(shape: \(shape))" + values
    }
}

private struct Identity: UnaryFunction {
    func callAsFunction(_ x: Float) -> Float { x }
}
