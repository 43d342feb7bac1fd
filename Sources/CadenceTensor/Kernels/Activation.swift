import Foundation

/// Elementwise activations, applied in place (as a conv epilogue or alone), with backward helpers.
public enum Activation: Sendable, Hashable {
    case identity
    case relu
    /// Swish / SiLU: `x * sigmoid(x)`.
    case silu
    case sigmoid
    /// GELU in its exact form `x * Φ(x)` with Φ from `erf` (PyTorch's default).
    case gelu

    /// Replaces each of the `count` floats at `x` with its activation.
    @inlinable
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity: return
        case .relu: for i in 0..<count { x[i] = max(x[i], 0) }
        case .silu: VectorMath.siluInPlace(x, count: count)
        case .sigmoid: VectorMath.sigmoidInPlace(x, count: count)
        case .gelu:
            for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + FastMath.erf(v * 0.70710678118654752)) }
        }
    }

    /// `apply` spread over the shared pool, for large buffers.
    public func applyParallel(_ x: UnsafeMutablePointer<Float>, count: Int) {
        if self == .identity { return }
        let chunk = 1 << 14
        Parallel.forEach((count + chunk - 1) / chunk) { i in
            apply(x + i * chunk, count: min(chunk, count - i * chunk))
        }
    }

    /// Whether `backward` needs the activation's input (`true`) or its output (`false`).
    public var backwardNeedsInput: Bool {
        switch self {
        case .silu, .gelu: return true
        case .identity, .relu, .sigmoid: return false
        }
    }

    /// `gradInput = gradOutput * f'(.)` over `count` floats. `saved` is the forward input for SiLU and
    /// GELU and the forward output for ReLU and sigmoid (see `backwardNeedsInput`); `gradInput` may
    /// alias `gradOutput`.
    public func backward(
        saved: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>, count: Int
    ) {
        let chunk = 1 << 14
        Parallel.forEach((count + chunk - 1) / chunk) { c in
            let start = c * chunk
            let end = min(count, start + chunk)
            switch self {
            case .identity:
                for i in start..<end { gradInput[i] = gradOutput[i] }
            case .relu:
                for i in start..<end { gradInput[i] = saved[i] > 0 ? gradOutput[i] : 0 }
            case .sigmoid:
                for i in start..<end { let y = saved[i]; gradInput[i] = gradOutput[i] * y * (1 - y) }
            case .silu:
                for i in start..<end {
                    let x = saved[i]
                    let s = 1 / (1 + Foundation.exp(-x))
                    gradInput[i] = gradOutput[i] * s * (1 + x * (1 - s))
                }
            case .gelu:
                for i in start..<end {
                    let x = saved[i]
                    let cdf = 0.5 * (1 + FastMath.erf(x * 0.70710678118654752))
                    let pdf = Foundation.exp(-0.5 * x * x) * 0.39894228040143268
                    gradInput[i] = gradOutput[i] * (cdf + x * pdf)
                }
            }
        }
    }
}
