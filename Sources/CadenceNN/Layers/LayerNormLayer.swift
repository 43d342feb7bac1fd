import CadenceTensor

/// Layer normalisation over the last dimension (PyTorch's `nn.LayerNorm(dim)`), keys `weight`, `bias`.
public final class LayerNormLayer: Module {
    public let weight: Tensor?
    public let bias: Tensor?
    public let dim: Int
    public let eps: Float

    /// `eps` is PyTorch's default 1e-5; MViT uses 1e-6.
    public init(dim: Int, eps: Float = 1e-5, affine: Bool = true) {
        self.dim = dim
        self.eps = eps
        weight = affine ? Tensor.ones([dim]) : nil
        bias = affine ? Tensor.zeros([dim]) : nil
        super.init()
        if let weight, let bias {
            registerParameter("weight", weight)
            registerParameter("bias", bias)
        }
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try layerNorm(x, weight: weight, bias: bias, eps: eps)
    }
}
