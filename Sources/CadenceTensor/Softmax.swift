import Foundation

/// Softmax and log-softmax along one axis, computed after subtracting each row's maximum so that
/// large logits do not overflow.
extension Tensor {
    /// `exp(x) / sum(exp(x))` along `axis`.
    public func softmax(axis: Int) throws -> Tensor {
        let x = self
        let a = try Shape.axis(axis, rank: rank, "softmax")
        let y = try rowwise(axis: a) { row, out, n in
            let peak = Tensor.rowMaximum(row, n)
            for i in 0..<n { out[i] = FastMath.exp(row[i] - peak) }
            let scale = Float(1 / FastMath.sum(out, n))
            for i in 0..<n { out[i] *= scale }
        }
        let output = y.detach()
        return y.recording("softmax", inputs: [x]) { g in
            // dx = y * (g - sum(g * y))
            let weighted = try (g * output).sum(axis: a, keepDims: true)
            return [try output * (g - weighted)]
        }
    }

    /// `x - log(sum(exp(x)))` along `axis`.
    public func logSoftmax(axis: Int) throws -> Tensor {
        let x = self
        let a = try Shape.axis(axis, rank: rank, "logSoftmax")
        let y = try rowwise(axis: a) { row, out, n in
            let peak = Tensor.rowMaximum(row, n)
            for i in 0..<n { out[i] = FastMath.exp(row[i] - peak) }
            let shift = peak + Float(Foundation.log(FastMath.sum(out, n)))
            for i in 0..<n { out[i] = row[i] - shift }
        }
        let output = y.detach()
        return y.recording("logSoftmax", inputs: [x]) { g in
            // dx = g - softmax * sum(g)
            try [g - output.exp() * g.sum(axis: a, keepDims: true)]
        }
    }

    private static func rowMaximum(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        var peak = -Float.infinity
        for i in 0..<n where row[i] > peak { peak = row[i] }
        // A row of -inf would give NaN; keep it -inf - (-inf) -> use 0 as the shift instead.
        return peak.isFinite ? peak : 0
    }

    /// Applies `kernel(inputRow, outputRow, n)` to every row along `axis`, moving that axis
    /// innermost (with a copy) when it is not already.
    private func rowwise(
        axis: Int, _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) throws -> Tensor {
        let last = rank - 1
        let moved = try Tensor.withNoGrad { try transpose(axis, last).contiguous() }
        let n = moved.shape.isEmpty ? 1 : moved.shape[last]
        let rows = n == 0 ? 0 : moved.count / n
        let out = Tensor.uninitialized(moved.shape)
        let from = UnsafePointer(moved.storage.pointer + moved.offset), to = out.storage.pointer
        let pieces = moved.count >= StridedWalk.parallelThreshold ? Swift.min(Parallel.threadCount, rows) : 1
        Parallel.forEach(pieces) { piece in
            for r in (rows * piece / pieces)..<(rows * (piece + 1) / pieces) {
                kernel(from + r * n, to + r * n, n)
            }
        }
        withExtendedLifetime(moved) {}
        return try Tensor.withNoGrad { try out.transpose(axis, last).contiguous() }
    }
}
