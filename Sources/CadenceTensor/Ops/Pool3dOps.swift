/// Differentiable 3D pooling over channels-last `N, T, H, W, C` activations, with PyTorch's
/// output sizes (floor rule) and divisors.
private func poolGeometry(
    _ x: Tensor, _ name: String, kernel: Dims3, stride: Dims3?, padding: Dims3, dilation: Dims3
) throws -> Pool3dGeometry {
    try x.checkVideoActivation(name)
    return try Pool3dGeometry(batch: x.shape[0], input: x.spatialDims, channels: x.shape[4], kernel: kernel,
                              stride: stride, padding: padding, dilation: dilation)
}

private func outputShape(_ g: Pool3dGeometry) -> [Int] {
    [g.batch, g.output.t, g.output.h, g.output.w, g.channels]
}

/// 3D max pooling; `stride` defaults to `kernel`. Padding never wins a window, and the gradient goes
/// to the input element that held each maximum.
public func maxPool3d(
    _ input: Tensor, kernel: Dims3, stride: Dims3? = nil, padding: Dims3 = Dims3(all: 0),
    dilation: Dims3 = Dims3(all: 1)
) throws -> Tensor {
    let g = try poolGeometry(input, "max_pool3d", kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    let x = input.contiguous()
    let output = Tensor.uninitialized(outputShape(g))
    var indices = [Int32](repeating: 0, count: g.outputCount)
    withExtendedLifetime(x) {
        indices.withUnsafeMutableBufferPointer { idx in
            if let base = idx.baseAddress { MaxPool3d.forward(g, input: x.elements, output: output.elements, indices: base) }
        }
    }
    return output.recording("max_pool3d", inputs: [x]) { gradOutput in
        let dy = gradOutput.contiguous()
        let dx = Tensor.uninitialized(x.shape)
        withExtendedLifetime(dy) {
            indices.withUnsafeBufferPointer { idx in
                if let base = idx.baseAddress {
                    MaxPool3d.backward(g, gradOutput: dy.elements, indices: base, gradInput: dx.elements)
                }
            }
        }
        return [dx]
    }
}

/// 3D average pooling; `stride` defaults to `kernel`. With `countIncludePad` (PyTorch's default)
/// each window divides by its size clipped to the padded input; otherwise by the real inputs in it.
public func avgPool3d(
    _ input: Tensor, kernel: Dims3, stride: Dims3? = nil, padding: Dims3 = Dims3(all: 0),
    countIncludePad: Bool = true
) throws -> Tensor {
    let g = try poolGeometry(input, "avg_pool3d", kernel: kernel, stride: stride, padding: padding,
                             dilation: Dims3(all: 1))
    let x = input.contiguous()
    let output = Tensor.uninitialized(outputShape(g))
    try withExtendedLifetime(x) {
        try AvgPool3d.forward(g, input: x.elements, output: output.elements, countIncludePad: countIncludePad)
    }
    return output.recording("avg_pool3d", inputs: [x]) { gradOutput in
        let dy = gradOutput.contiguous()
        let dx = Tensor.uninitialized(x.shape)
        try withExtendedLifetime(dy) {
            try AvgPool3d.backward(g, gradOutput: dy.elements, gradInput: dx.elements, countIncludePad: countIncludePad)
        }
        return [dx]
    }
}

/// Adaptive 3D average pooling to `outputSize` with PyTorch's bins (`AdaptiveAvgPool3d`);
/// `Dims3(all: 1)` is global average pooling that keeps the rank.
public func adaptiveAvgPool3d(_ input: Tensor, outputSize: Dims3) throws -> Tensor {
    try input.checkVideoActivation("adaptive_avg_pool3d")
    let g = try AdaptiveAvgPool3d.Geometry(batch: input.shape[0], input: input.spatialDims,
                                           channels: input.shape[4], output: outputSize)
    let x = input.contiguous()
    let output = Tensor.uninitialized([g.batch, outputSize.t, outputSize.h, outputSize.w, g.channels])
    withExtendedLifetime(x) { AdaptiveAvgPool3d.forward(g, input: x.elements, output: output.elements) }
    return output.recording("adaptive_avg_pool3d", inputs: [x]) { gradOutput in
        let dy = gradOutput.contiguous()
        let dx = Tensor.uninitialized(x.shape)
        withExtendedLifetime(dy) { AdaptiveAvgPool3d.backward(g, gradOutput: dy.elements, gradInput: dx.elements) }
        return [dx]
    }
}
