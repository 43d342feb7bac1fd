/// In-place updates, outside autograd: optimizer steps, running statistics, gradient buffers.
/// They write through views into the tensor they view, and are not recorded on the tape, so do not
/// apply them to a tensor whose value a recorded operation still needs for its backward pass.
extension Tensor {
    /// Copies `source` (broadcast to this shape) into this tensor's memory, in place and outside
    /// autograd. Writing through a view changes the tensor it views.
    public func assign(_ source: Tensor) throws {
        try checkWritable("assign")
        guard (try? Shape.broadcast(source.shape, shape, "assign")) == shape else {
            throw TensorError("assign", "cannot write a tensor of shape \(source.shape) into shape \(shape)")
        }
        let sourceStrides = Shape.broadcastStrides(source.shape, source.strides, to: shape)
        let to = storage.pointer, from = source.storage.pointer
        withExtendedLifetime(source) {
            StridedWalk.rows(shape, [strides, sourceStrides], [offset, source.offset]) { offs, n, s in
                let pt = to + offs[0], pf = from + offs[1], st = s[0], sf = s[1]
                for j in 0..<n { pt[j * st] = pf[j * sf] }
            }
        }
    }

    /// `self += scale * other` (other broadcast to this shape), in place.
    public func addInPlace(_ other: Tensor, scale: Float = 1) throws {
        try checkWritable("addInPlace")
        guard (try? Shape.broadcast(other.shape, shape, "addInPlace")) == shape else {
            throw TensorError("addInPlace", "cannot add a tensor of shape \(other.shape) into shape \(shape)")
        }
        let otherStrides = Shape.broadcastStrides(other.shape, other.strides, to: shape)
        let to = storage.pointer, from = other.storage.pointer
        withExtendedLifetime(other) {
            StridedWalk.rows(shape, [strides, otherStrides], [offset, other.offset]) { offs, n, s in
                let pt = to + offs[0], pf = from + offs[1], st = s[0], sf = s[1]
                if st == 1 && sf == 1 {
                    for j in 0..<n { pt[j] += scale * pf[j] }
                } else {
                    for j in 0..<n { pt[j * st] += scale * pf[j * sf] }
                }
            }
        }
    }

    /// `self *= value`, in place.
    public func scaleInPlace(_ value: Float) throws {
        try checkWritable("scaleInPlace")
        let to = storage.pointer
        StridedWalk.rows(shape, [strides], [offset]) { offs, n, s in
            let pt = to + offs[0], st = s[0]
            for j in 0..<n { pt[j * st] *= value }
        }
    }

    /// Every element set to `value`, in place.
    public func fill(_ value: Float) throws {
        try checkWritable("fill")
        let to = storage.pointer
        StridedWalk.rows(shape, [strides], [offset]) { offs, n, s in
            let pt = to + offs[0], st = s[0]
            for j in 0..<n { pt[j * st] = value }
        }
    }

    /// In-place writes need every element at its own address: an expanded view (stride 0 along a
    /// dimension longer than 1) would apply an update several times to one element.
    private func checkWritable(_ operation: String) throws {
        guard zip(shape, strides).allSatisfy({ $0 <= 1 || $1 != 0 }) else {
            throw TensorError(operation, "cannot write in place into a broadcast view of shape \(shape)")
        }
    }
}
