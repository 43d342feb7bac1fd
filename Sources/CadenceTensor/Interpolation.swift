/// Resampling along axes by linear interpolation, with PyTorch's `F.interpolate` conventions.
extension Tensor {
    /// Resizes `axis` to `size` elements by linear interpolation, as
    /// `F.interpolate(x, size:, mode: "linear", align_corners:)` does along its last axis.
    ///
    /// With `alignCorners` the first and last samples of input and output coincide; without it
    /// samples sit at pixel centres (`src = (dst + 0.5) * in / out - 0.5`, clamped at 0).
    public func interpolateLinear(axis: Int, size: Int, alignCorners: Bool) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "interpolateLinear")
        let inputSize = shape[a]
        guard size > 0, inputSize > 0 else {
            throw TensorError("interpolateLinear", "cannot resize dimension of size \(inputSize) to \(size)")
        }
        let taps = LinearTaps(input: inputSize, output: size, alignCorners: alignCorners)
        let x = self
        let outer = Shape.count(Array(shape[..<a])), inner = Shape.count(Array(shape[(a + 1)...]))
        var outShape = shape
        outShape[a] = size
        let source = Tensor.withNoGrad { contiguous() }
        let out = Tensor(shape: outShape) { buffer in
            guard let to = buffer.baseAddress else { return }
            let from = source.storage.pointer + source.offset
            for o in 0..<outer {
                for j in 0..<size {
                    let row = to + (o * size + j) * inner
                    let p0 = from + (o * inputSize + taps.low[j]) * inner, p1 = from + (o * inputSize + taps.high[j]) * inner
                    let w0 = taps.lowWeight[j], w1 = taps.highWeight[j]
                    for i in 0..<inner { row[i] = w0 * p0[i] + w1 * p1[i] }
                }
            }
        }
        withExtendedLifetime(source) {}
        return out.recording("interpolateLinear", inputs: [x]) { g in
            let grad = g.contiguous()
            let result = Tensor(shape: x.shape) { buffer in
                buffer.initialize(repeating: 0)
                guard let to = buffer.baseAddress else { return }
                let from = grad.storage.pointer + grad.offset
                for o in 0..<outer {
                    for j in 0..<size {
                        let row = from + (o * size + j) * inner
                        let p0 = to + (o * inputSize + taps.low[j]) * inner, p1 = to + (o * inputSize + taps.high[j]) * inner
                        let w0 = taps.lowWeight[j], w1 = taps.highWeight[j]
                        for i in 0..<inner {
                            p0[i] += w0 * row[i]
                            p1[i] += w1 * row[i]
                        }
                    }
                }
            }
            withExtendedLifetime(grad) {}
            return [result]
        }
    }

    /// Resizes three axes (by default the last three, PyTorch's `D, H, W` of `N, C, D, H, W`) to
    /// `size` by trilinear interpolation, as `F.interpolate(mode: "trilinear")`. Trilinear weights
    /// are the product of per-axis linear weights, so this resamples one axis after the other.
    public func interpolateTrilinear(size: [Int], axes: [Int]? = nil, alignCorners: Bool) throws -> Tensor {
        let chosen = try (axes ?? [rank - 3, rank - 2, rank - 1]).map { try Shape.axis($0, rank: rank, "interpolateTrilinear") }
        guard chosen.count == 3, size.count == 3, Set(chosen).count == 3 else {
            throw TensorError("interpolateTrilinear", "needs three distinct axes and three sizes, got axes \(axes ?? []) and size \(size)")
        }
        var result = self
        for (axis, length) in zip(chosen, size) {
            result = try result.interpolateLinear(axis: axis, size: length, alignCorners: alignCorners)
        }
        return result
    }
}

/// For each output position: the two input positions it blends and their weights.
private struct LinearTaps {
    var low: [Int] = [], high: [Int] = []
    var lowWeight: [Float] = [], highWeight: [Float] = []

    init(input: Int, output: Int, alignCorners: Bool) {
        // Scales in Float, as PyTorch computes them, so positions round the same way.
        let scale: Float = alignCorners
            ? (output > 1 ? Float(input - 1) / Float(output - 1) : 0)
            : Float(input) / Float(output)
        for j in 0..<output {
            let source = alignCorners ? scale * Float(j) : Swift.max(scale * (Float(j) + 0.5) - 0.5, 0)
            let i0 = Swift.min(Int(source), input - 1)
            let i1 = Swift.min(i0 + 1, input - 1)
            let lambda = Swift.min(source - Float(i0), 1)
            low.append(i0)
            high.append(i1)
            lowWeight.append(1 - lambda)
            highWeight.append(lambda)
        }
    }
}
