import CadenceTensor

/// An inference-only conv with a batch norm folded into its weights and an activation fused into
/// the kernel's epilogue: one pass over memory instead of three. Build it from a trained
/// `Conv3dLayer` and `BatchNorm3d` (their current values are copied, so rebuild it after weights
/// change); it is not a `Module` and has no parameters to train.
public struct FoldedConv3d {
    /// Conv weights scaled by `gamma / sqrt(var + eps)`, Cadence layout.
    public let weight: Tensor
    /// `(bias - mean) * scale + beta`.
    public let bias: Tensor
    public let stride: Dims3
    public let padding: Dims3
    public let dilation: Dims3
    public let groups: Int
    public let activation: Activation

    /// Folds `batchNorm`'s running statistics and affine transform into `conv`.
    public init(_ conv: Conv3dLayer, _ batchNorm: BatchNorm3d, activation: Activation = .identity) throws {
        guard batchNorm.channels == conv.outputChannels else {
            throw NNError("FoldedConv3d", "batch norm of \(batchNorm.channels) channels after a conv of \(conv.outputChannels)")
        }
        let weight = conv.weight.detach().clone()
        let bias = conv.bias?.detach().clone() ?? Tensor.zeros([conv.outputChannels])
        let perChannel = weight.count / conv.outputChannels
        let mean = batchNorm.runningMean.toArray(), variance = batchNorm.runningVar.toArray()
        let gamma = batchNorm.weight.toArray(), beta = batchNorm.bias.toArray()
        try weight.withUnsafeMutableBufferPointer { w in
            try bias.withUnsafeMutableBufferPointer { b in
                guard let wp = w.baseAddress, let bp = b.baseAddress else { return }
                BatchNorm.fold(weights: wp, outputChannels: conv.outputChannels, weightsPerChannel: perChannel,
                               bias: bp, mean: mean, variance: variance, gamma: gamma, beta: beta,
                               eps: batchNorm.eps)
            }
        }
        self.weight = weight
        self.bias = bias
        stride = conv.stride
        padding = conv.padding
        dilation = conv.dilation
        groups = conv.groups
        self.activation = activation
    }

    /// `activation(batchNorm(conv(x)) + residual)` with evaluation statistics, in one kernel call
    /// (a residual block's last conv takes its shortcut as `residual`).
    public func callAsFunction(_ x: Tensor, adding residual: Tensor? = nil) throws -> Tensor {
        try Tensor.withNoGrad {
            try conv3d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                       groups: groups, residual: residual, activation: activation)
        }
    }
}
