import CadenceTensor

/// Children applied one after another, named `0`, `1`, ... like PyTorch's `nn.Sequential`.
public final class Sequential: Module {
    /// The children, in order.
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
        super.init()
        for (i, layer) in layers.enumerated() { registerModule(String(i), layer) }
    }

    public convenience init(_ layers: Module...) { self.init(layers) }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try layers.reduce(x) { try $1($0) }
    }
}
