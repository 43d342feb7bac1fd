import CadenceTensor

/// A fully connected layer over the last dimension (PyTorch's `nn.Linear`): `y = x Wᵀ + b` with
/// `weight` `[out, in]` in PyTorch's own layout.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    /// A layer initialised like PyTorch's default (uniform in `±1/sqrt(in)`).
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, generator: inout TensorRandom) {
        weight = Initialization.defaultUniform([outputFeatures, inputFeatures], fanIn: inputFeatures, generator: &generator)
        self.bias = bias ? Initialization.defaultUniform([outputFeatures], fanIn: inputFeatures, generator: &generator) : nil
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    public var inputFeatures: Int { weight.shape[1] }
    public var outputFeatures: Int { weight.shape[0] }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(x, activation: .identity) }

    /// `activation(x Wᵀ + b)`. Over rows of features the product is a pointwise conv, so it runs as
    /// one: the bias and activation are added in the conv's epilogue while each block of rows is in
    /// cache, instead of in two more passes over the output (MViT's token MLPs and projections).
    public func forward(_ x: Tensor, activation: Activation) throws -> Tensor {
        guard x.rank >= 1, x.shape.last == inputFeatures else {
            throw NNError("Linear", "input of shape \(x.shape) for \(inputFeatures) input features")
        }
        let shape = Array(x.shape.dropLast()) + [outputFeatures]
        // No rows: nothing to multiply (a conv needs at least one pixel).
        if x.count == 0 { return Tensor.zeros(shape) }
        let rows = try x.reshape([1, 1, 1, -1, inputFeatures])
        let y = try conv3d(rows, weight: weight.reshape([outputFeatures, 1, 1, 1, inputFeatures]), bias: bias,
                           activation: activation)
        return try y.reshape(shape)
    }
}
