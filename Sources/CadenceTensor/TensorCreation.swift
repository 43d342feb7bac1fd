/// Constructors that fill a new contiguous tensor.
extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(shape: shape.map { Swift.max($0, 0) }) { $0.initialize(repeating: value) }
        t.requiresGrad = requiresGrad
        return t
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }

    /// `start, start+step, ...` up to but excluding `end`, as a 1-D tensor (like `torch.arange`).
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError("arange", "needs finite bounds and a non-zero step, got \(start)..<\(end) step \(step)")
        }
        let n = Swift.max(0, Int((Double(end - start) / Double(step)).rounded(.up)))
        return Tensor(shape: [n]) { buffer in
            for i in 0..<n { buffer[i] = start + Float(i) * step }
        }
    }
}
