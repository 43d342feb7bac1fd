import CadenceTensor

/// X3D's squeeze-excitation block: global average pool → 1x1x1 conv `fc1` (with bias) → ReLU →
/// 1x1x1 conv `fc2` (with bias) → sigmoid → channel-wise multiply with the input.
public final class SqueezeExcitation: Module {
    public let fc1: Conv3dLayer
    public let fc2: Conv3dLayer

    /// `reducedChannels` is the width of the bottleneck (X3D rounds `channels * ratio`).
    public init(channels: Int, reducedChannels: Int, generator: inout TensorRandom) throws {
        fc1 = try Conv3dLayer(inputChannels: channels, outputChannels: reducedChannels, kernel: Dims3(all: 1),
                              generator: &generator)
        fc2 = try Conv3dLayer(inputChannels: reducedChannels, outputChannels: channels, kernel: Dims3(all: 1),
                              generator: &generator)
        super.init()
        registerModule("fc1", fc1)
        registerModule("fc2", fc2)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try x * gate(x)
    }

    /// `forward(x).silu()`, X3D's order, scaling and Swish in one pass (`gatedSiLU`).
    public func swish(_ x: Tensor) throws -> Tensor {
        try gatedSiLU(x, gate: gate(x))
    }

    /// One sigmoid gate per clip and channel, `[N, 1, 1, 1, C]`.
    private func gate(_ x: Tensor) throws -> Tensor {
        let squeezed = try adaptiveAvgPool3d(x, outputSize: Dims3(all: 1))
        return try fc2(fc1(squeezed).relu()).sigmoid()
    }
}
