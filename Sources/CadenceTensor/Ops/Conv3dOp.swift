/// Differentiable 3D convolution over channels-last activations.
///
/// `input` is `[N, T, H, W, C_in]`, `weight` is in Cadence's layout `[C_out, kT, kH, kW, C_in / groups]`
/// (`ConvWeightLayout.fromPyTorch` converts PyTorch's) and `bias` has `C_out` values. The kernel
/// chooses the path: a plain GEMM for 1x1x1, the direct depthwise kernel when
/// `groups == C_in == C_out`, tiled im2col + GEMM otherwise. Gradients flow to all three tensors.
///
/// `residual` (the output's shape; a residual block's shortcut) is added and then `activation` is
/// applied: `activation(conv + bias + residual)`. When no gradient is being recorded both run in the
/// kernel's epilogue (while the output is in cache), otherwise as separate differentiable ops.
public func conv3d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Dims3 = Dims3(all: 1),
    padding: Dims3 = Dims3(all: 0), dilation: Dims3 = Dims3(all: 1), groups: Int = 1,
    residual: Tensor? = nil, activation: Activation = .identity
) throws -> Tensor {
    let name = "conv3d"
    try input.checkVideoActivation(name)
    guard weight.rank == 5 else {
        throw TensorError(name, "weight must be [C_out, kT, kH, kW, C_in / groups], got shape \(weight.shape)")
    }
    let g = try Conv3dGeometry(
        batch: input.shape[0], input: input.spatialDims, inputChannels: input.shape[4],
        outputChannels: weight.shape[0], kernel: Dims3(weight.shape[1], weight.shape[2], weight.shape[3]),
        stride: stride, padding: padding, dilation: dilation, groups: groups)
    guard weight.shape[4] == g.inputChannelsPerGroup else {
        throw TensorError(name, "weight \(weight.shape) has \(weight.shape[4]) input channels per group, the input gives \(g.inputChannelsPerGroup)")
    }
    if let bias, bias.shape != [g.outputChannels] {
        throw TensorError(name, "bias of shape \(bias.shape) for \(g.outputChannels) output channels")
    }
    let outputShape = [g.batch, g.output.t, g.output.h, g.output.w, g.outputChannels]
    if let residual, residual.shape != outputShape {
        throw TensorError(name, "residual of shape \(residual.shape) for an output of shape \(outputShape)")
    }
    let x = input.contiguous(), w = weight.contiguous(), b = bias?.contiguous()
    let inputs = [x, w] + (b.map { [$0] } ?? [])
    let recording = Tensor.isGradEnabled && (inputs.contains { $0.requiresGrad } || residual?.requiresGrad == true)
    // Recorded, the residual is a differentiable add after the conv; otherwise the kernel adds it.
    let fused = recording ? nil : residual?.contiguous()
    let output = Tensor.uninitialized(outputShape)
    withExtendedLifetime((x, w, b, fused)) {
        Conv3d.forward(g, input: x.elements, weights: w.elements, bias: b.map { UnsafePointer($0.elements) },
                       residual: fused.map { UnsafePointer($0.elements) },
                       activation: recording ? .identity : activation, output: output.elements)
    }
    guard recording else { return output }
    let convolved = output.recording(name, inputs: inputs) { gradOutput in
        let dy = gradOutput.contiguous()
        var gradInput: Tensor?
        if x.requiresGrad {
            let dx = Tensor.uninitialized(x.shape)
            withExtendedLifetime((dy, w)) {
                Conv3d.backwardData(g, gradOutput: dy.elements, weights: w.elements, gradInput: dx.elements)
            }
            gradInput = dx
        }
        var gradWeight: Tensor?, gradBias: Tensor?
        if w.requiresGrad || b?.requiresGrad == true {
            let dw = Tensor.uninitialized(w.shape)
            let db = b.map { _ in Tensor.uninitialized([g.outputChannels]) }
            withExtendedLifetime((dy, x, db)) {
                Conv3d.backwardWeights(g, input: x.elements, gradOutput: dy.elements, gradWeights: dw.elements,
                                       gradBias: db?.elements)
            }
            gradWeight = dw
            gradBias = db
        }
        return [gradInput, gradWeight] + (b == nil ? [] : [gradBias])
    }
    return try (residual.map { try convolved + $0 } ?? convolved).applying(activation)
}

extension Tensor {
    /// This tensor through a kernel `Activation`, as a differentiable op.
    func applying(_ activation: Activation) -> Tensor {
        switch activation {
        case .identity: return self
        case .relu: return relu()
        case .silu: return silu()
        case .sigmoid: return sigmoid()
        case .gelu: return gelu()
        }
    }
}
