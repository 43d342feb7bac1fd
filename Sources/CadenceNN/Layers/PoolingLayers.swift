import CadenceTensor

/// 3D max pooling over channels-last activations as a module (PyTorch's `nn.MaxPool3d`).
public final class MaxPool3dLayer: Module {
    public let kernel: Dims3, stride: Dims3, padding: Dims3

    public init(kernel: Dims3, stride: Dims3? = nil, padding: Dims3 = Dims3(all: 0)) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        super.init()
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try maxPool3d(x, kernel: kernel, stride: stride, padding: padding)
    }
}

/// 3D average pooling as a module (PyTorch's `nn.AvgPool3d`, `count_include_pad` by default).
public final class AvgPool3dLayer: Module {
    public let kernel: Dims3, stride: Dims3, padding: Dims3
    public let countIncludePad: Bool

    public init(kernel: Dims3, stride: Dims3? = nil, padding: Dims3 = Dims3(all: 0), countIncludePad: Bool = true) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.countIncludePad = countIncludePad
        super.init()
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try avgPool3d(x, kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }
}

/// Adaptive 3D average pooling as a module (PyTorch's `nn.AdaptiveAvgPool3d`).
public final class AdaptiveAvgPool3dLayer: Module {
    public let outputSize: Dims3

    public init(outputSize: Dims3) {
        self.outputSize = outputSize
        super.init()
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try adaptiveAvgPool3d(x, outputSize: outputSize)
    }
}
