import Foundation

/// Activation functions as plain, differentiable tensor operations. Fused kernels for the hot
/// paths live in `Kernels/`; these are the reference versions and the autograd path.
extension Tensor {
    /// `max(x, 0)`; gradient 0 at 0, as PyTorch.
    public func relu() -> Tensor {
        unary("relu", { Swift.max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 })
    }

    /// `1 / (1 + e^-x)`.
    public func sigmoid() -> Tensor {
        unary("sigmoid", { Tensor.sigmoid($0) }, derivative: { _, y in y * (1 - y) })
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        unary("tanh", { Foundation.tanh($0) }, derivative: { _, y in 1 - y * y })
    }

    /// SiLU / Swish: `x * sigmoid(x)`.
    public func silu() -> Tensor {
        unary("silu", { $0 * Tensor.sigmoid($0) }, derivative: { x, _ in
            let s = Tensor.sigmoid(x)
            return s * (1 + x * (1 - s))
        })
    }

    /// GELU in its exact erf form, `x * Φ(x) = 0.5 x (1 + erf(x / √2))` (PyTorch's default).
    public func gelu() -> Tensor {
        unary("gelu", { 0.5 * $0 * (1 + Foundation.erf($0 * Float(0.5).squareRoot())) }, derivative: { x, _ in
            let cdf = 0.5 * (1 + Foundation.erf(x * Float(0.5).squareRoot()))
            let pdf = Foundation.exp(-0.5 * x * x) / Float(2 * Double.pi).squareRoot()
            return cdf + x * pdf
        })
    }

    /// Logistic function that does not overflow for large negative inputs.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
}
