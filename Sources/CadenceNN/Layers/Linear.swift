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

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape.last == inputFeatures else {
            throw NNError("Linear", "input of shape \(x.shape) for \(inputFeatures) input features")
        }
        let rows = try x.reshape([-1, inputFeatures])
        var y = try rows.matmul(weight.transpose(0, 1))
        if let bias { y = try y + bias }
        return try y.reshape(Array(x.shape.dropLast()) + [outputFeatures])
    }
}
