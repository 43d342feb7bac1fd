import CadenceTensor

/// A 3D convolution layer over channels-last `N, T, H, W, C` activations (PyTorch's `nn.Conv3d`).
///
/// `weight` is kept in Cadence's layout `[O, kT, kH, kW, I/groups]`; state dicts store and load it
/// in PyTorch's `[O, I/groups, kT, kH, kW]` under the key `weight` (and `bias`).
public final class Conv3dLayer: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Dims3
    public let padding: Dims3
    public let dilation: Dims3
    public let groups: Int

    /// A conv initialised like PyTorch's default (uniform in `±1/sqrt(fan_in)` for weights and bias).
    public init(
        inputChannels: Int, outputChannels: Int, kernel: Dims3, stride: Dims3 = Dims3(all: 1),
        padding: Dims3 = Dims3(all: 0), dilation: Dims3 = Dims3(all: 1), groups: Int = 1, bias: Bool = true,
        generator: inout TensorRandom
    ) throws {
        guard inputChannels > 0, outputChannels > 0, groups > 0,
              inputChannels % groups == 0, outputChannels % groups == 0 else {
            throw NNError("Conv3dLayer", "\(inputChannels) -> \(outputChannels) channels cannot be split into \(groups) groups")
        }
        guard kernel.t > 0, kernel.h > 0, kernel.w > 0 else {
            throw NNError("Conv3dLayer", "kernel \(kernel) must be positive")
        }
        let fanIn = inputChannels / groups * kernel.volume
        weight = Initialization.defaultUniform([outputChannels, kernel.t, kernel.h, kernel.w, inputChannels / groups],
                                               fanIn: fanIn, generator: &generator)
        self.bias = bias ? Initialization.defaultUniform([outputChannels], fanIn: fanIn, generator: &generator) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
        registerParameter("weight", weight, layout: .convWeight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    public var inputChannels: Int { weight.shape[4] * groups }
    public var outputChannels: Int { weight.shape[0] }
    public var kernel: Dims3 { Dims3(weight.shape[1], weight.shape[2], weight.shape[3]) }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try conv3d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}
