/// The shape of one 3D convolution over channels-last activations.
///
/// Input is `[batch, input.t, input.h, input.w, inputChannels]`, output
/// `[batch, output.t, output.h, output.w, outputChannels]`, weights `[outputChannels, kernel.t,
/// kernel.h, kernel.w, inputChannels / groups]` (Cadence's layout; `ConvWeightLayout` converts
/// PyTorch's), all contiguous float32. The output extent follows PyTorch's floor rule.
public struct Conv3dGeometry: Sendable, Hashable {
    public let batch: Int
    public let input: Dims3
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernel: Dims3
    public let stride: Dims3
    public let padding: Dims3
    public let dilation: Dims3
    public let groups: Int
    /// Output extents, computed from the rest.
    public let output: Dims3

    /// Validates the geometry; throws `KernelError` naming the bad value.
    public init(
        batch: Int, input: Dims3, inputChannels: Int, outputChannels: Int, kernel: Dims3,
        stride: Dims3 = Dims3(all: 1), padding: Dims3 = Dims3(all: 0), dilation: Dims3 = Dims3(all: 1),
        groups: Int = 1
    ) throws {
        let name = "conv3d"
        for (field, v) in [("batch", batch), ("input channels", inputChannels),
                           ("output channels", outputChannels), ("groups", groups)] where v <= 0 {
            throw KernelError.nonPositive(kernel: name, field: field, value: v)
        }
        if inputChannels % groups != 0 {
            throw KernelError.groupsDoNotDivide(kernel: name, channels: inputChannels, groups: groups)
        }
        if outputChannels % groups != 0 {
            throw KernelError.groupsDoNotDivide(kernel: name, channels: outputChannels, groups: groups)
        }
        output = try Dims3.slide(kernelName: name, input: input, kernel: kernel, stride: stride,
                                 padding: padding, dilation: dilation)
        self.batch = batch
        self.input = input
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// Input channels each output channel sees.
    public var inputChannelsPerGroup: Int { inputChannels / groups }
    /// Output channels per group.
    public var outputChannelsPerGroup: Int { outputChannels / groups }
    /// Floats in the input tensor.
    public var inputCount: Int { batch * input.volume * inputChannels }
    /// Floats in the output tensor.
    public var outputCount: Int { batch * output.volume * outputChannels }
    /// Floats in the weight tensor.
    public var weightCount: Int { outputChannels * kernel.volume * inputChannelsPerGroup }
    /// Output pixels over the whole batch.
    public var outputPixels: Int { batch * output.volume }
    /// Multiply-adds of the forward pass (each backward pass costs the same).
    public var multiplyAdds: Int { outputPixels * outputChannels * kernel.volume * inputChannelsPerGroup }

    /// A 1x1x1 conv with unit stride and no padding: a plain matrix product over pixels.
    public var isPointwise: Bool {
        kernel == Dims3(all: 1) && stride == Dims3(all: 1) && padding == Dims3(all: 0)
    }

    /// A `(kT, 1, 1)` kernel (kT > 1) with unit stride and no spatial padding: frames mix, pixels
    /// do not, so `TemporalConv3d` needs no im2col.
    public var isTemporalOnly: Bool {
        kernel.h == 1 && kernel.w == 1 && kernel.t > 1 && stride == Dims3(all: 1)
            && padding.h == 0 && padding.w == 0 && !isDepthwise
    }

    /// One filter per channel (`groups == inputChannels == outputChannels`), run by `DepthwiseConv3d`.
    public var isDepthwise: Bool { groups == inputChannels && groups == outputChannels && groups > 1 }
}
