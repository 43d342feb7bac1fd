import Foundation

/// Activation functions as plain, differentiable tensor operations. Fused kernels for the hot
/// paths live in `Kernels/`; these are the reference versions and the autograd path.
extension Tensor {
    /// `max(x, 0)`; gradient 0 at 0, as PyTorch.
    public func relu() -> Tensor { unary("relu", ReLU()) }
    /// `1 / (1 + e^-x)`.
    public func sigmoid() -> Tensor { unary("sigmoid", Sigmoid()) }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { unary("tanh", Tanh()) }
    /// SiLU / Swish: `x * sigmoid(x)`.
    public func silu() -> Tensor { unary("silu", SiLU()) }
    /// GELU in its exact erf form, `x * Φ(x) = 0.5 x (1 + erf(x / √2))` (PyTorch's default).
    public func gelu() -> Tensor { unary("gelu", GELU()) }
}

private struct ReLU: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { Swift.max(x, 0) }
    func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : 0 }
    var derivativeReadsOutput: Bool { false }
}
private struct Sigmoid: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { FastMath.sigmoid(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { y * (1 - y) }
}
private struct Tanh: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { 1 - y * y }
}
private struct SiLU: ElementwiseFunction {
    var derivativeReadsOutput: Bool { false }
    func callAsFunction(_ x: Float) -> Float { x * FastMath.sigmoid(x) }
    func derivative(_ x: Float, _ y: Float) -> Float {
        let s = FastMath.sigmoid(x)
        return s * (1 + x * (1 - s))
    }
}
private struct GELU: ElementwiseFunction {
    static let inverseSquareRoot2 = Float(0.5).squareRoot()
    static let inverseSquareRoot2Pi = 1 / Float(2 * Double.pi).squareRoot()
    func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + FastMath.erf(x * GELU.inverseSquareRoot2)) }
    func derivative(_ x: Float, _ y: Float) -> Float {
        let cdf = 0.5 * (1 + FastMath.erf(x * GELU.inverseSquareRoot2))
        return cdf + x * FastMath.exp(-0.5 * x * x) * GELU.inverseSquareRoot2Pi
    }
}
