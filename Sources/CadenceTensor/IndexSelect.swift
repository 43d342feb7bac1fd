/// Gathering whole slices along one axis by index.
extension Tensor {
    /// The slices `indices[0], indices[1], ...` of `axis`, in that order (repeats allowed), as a new
    /// tensor (as `torch.index_select`). Copies. Gradients of repeated slices add up.
    public func indexSelect(axis: Int, indices: [Int]) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "indexSelect")
        let size = shape[a]
        if let bad = indices.first(where: { $0 < 0 || $0 >= size }) {
            throw TensorError("indexSelect", "index \(bad) is out of range for dimension \(axis) of size \(size)")
        }
        let x = self
        let source = Tensor.withNoGrad { contiguous() }
        let outer = Shape.count(Array(shape[..<a])), inner = Shape.count(Array(shape[(a + 1)...]))
        var outShape = shape
        outShape[a] = indices.count
        let picked = indices.count
        let out = Tensor(shape: outShape) { buffer in
            guard let to = buffer.baseAddress else { return }
            let from = source.storage.pointer + source.offset
            for o in 0..<outer {
                for (k, index) in indices.enumerated() {
                    (to + (o * picked + k) * inner).update(from: from + (o * size + index) * inner, count: inner)
                }
            }
        }
        withExtendedLifetime(source) {}
        return out.recording("indexSelect", inputs: [x]) { g in
            let grad = g.contiguous()
            let result = Tensor(shape: x.shape) { buffer in
                buffer.initialize(repeating: 0)
                guard let to = buffer.baseAddress else { return }
                let from = grad.storage.pointer + grad.offset
                for o in 0..<outer {
                    for (k, index) in indices.enumerated() {
                        let dst = to + (o * size + index) * inner, src = from + (o * picked + k) * inner
                        for i in 0..<inner { dst[i] += src[i] }
                    }
                }
            }
            withExtendedLifetime(grad) {}
            return [result]
        }
    }

    /// `indexSelect` with the indices given as a tensor of whole numbers.
    public func indexSelect(axis: Int, indices: Tensor) throws -> Tensor {
        let values = indices.toArray()
        guard values.allSatisfy({ $0 == $0.rounded() && Swift.abs($0) < 1e9 }) else {
            throw TensorError("indexSelect", "indices must be whole numbers")
        }
        return try indexSelect(axis: axis, indices: values.map { Int($0) })
    }
}
