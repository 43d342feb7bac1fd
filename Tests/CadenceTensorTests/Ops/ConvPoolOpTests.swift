import Testing
@testable import CadenceTensor

/// The differentiable conv and pooling ops against the plain reference kernels, and their gradients
/// against finite differences through the Tensor API.
@Suite struct ConvPoolOpTests {
    static let convCases: [ConvCase] = [
        ConvCase(name: "3x3x3 pad 1", input: Dims3(2, 3, 3), cIn: 2, cOut: 3),
        ConvCase(name: "pointwise", input: Dims3(1, 2, 3), cIn: 3, cOut: 2, kernel: Dims3(all: 1), padding: Dims3(all: 0)),
        ConvCase(name: "stride 2 groups 2", input: Dims3(3, 4, 4), cIn: 4, cOut: 2, kernel: Dims3(3, 2, 2),
                 stride: Dims3(2, 2, 2), padding: Dims3(1, 0, 1), groups: 2),
        ConvCase(name: "depthwise", input: Dims3(2, 3, 3), cIn: 3, cOut: 3, groups: 3),
    ]

    @Test(arguments: convCases)
    func convMatchesReferenceAndGradients(_ c: ConvCase) throws {
        let g = try c.geometry()
        let x = Oracle.tensor([c.batch, c.input.t, c.input.h, c.input.w, c.cIn], seed: 1)
        let w = Oracle.tensor([c.cOut, c.kernel.t, c.kernel.h, c.kernel.w, c.cIn / c.groups], seed: 2, low: -0.5, high: 0.5)
        let b = Oracle.tensor([c.cOut], seed: 3)
        let y = try conv3d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        let expected = Reference.convForward(g, x.toArray(), w.toArray(), b.toArray())
        Oracle.expectClose(y, expected, shape: [c.batch, g.output.t, g.output.h, g.output.w, c.cOut], atol: 1e-4, rtol: 1e-4)
        try Oracle.checkGradients([x, w, b]) { t in
            try conv3d(t[0], weight: t[1], bias: t[2], stride: c.stride, padding: c.padding, dilation: c.dilation,
                       groups: c.groups)
        }
    }

    @Test func convTakesNonContiguousInputAndRejectsBadWeights() throws {
        let nchw = Oracle.tensor([1, 2, 2, 3, 3], seed: 4)
        let x = try nchw.permute([0, 2, 3, 4, 1])
        let w = Oracle.tensor([2, 1, 1, 1, 2], seed: 5)
        let y = try conv3d(x, weight: w, bias: nil)
        let g = try Conv3dGeometry(batch: 1, input: Dims3(2, 3, 3), inputChannels: 2, outputChannels: 2, kernel: Dims3(all: 1))
        Oracle.expectClose(y, Reference.convForward(g, x.contiguous().toArray(), w.toArray(), nil), shape: [1, 2, 3, 3, 2])
        #expect(throws: TensorError.self) { try conv3d(x, weight: Oracle.tensor([2, 1, 1, 1, 3], seed: 6), bias: nil) }
        #expect(throws: TensorError.self) { try conv3d(x, weight: w, bias: Tensor.zeros([3])) }
        #expect(throws: TensorError.self) { try conv3d(try x.reshape([2, 3, 3, 2]), weight: w, bias: nil) }
    }

    @Test(arguments: [Activation.relu, .silu, .sigmoid, .gelu])
    func fusedActivationMatchesSeparateOpWithAndWithoutGradients(_ activation: Activation) throws {
        let x = Oracle.tensor([1, 2, 3, 3, 2], seed: 9)
        let w = Oracle.tensor([3, 1, 3, 3, 2], seed: 10, low: -0.5, high: 0.5)
        let b = Oracle.tensor([3], seed: 11)
        let padding = Dims3(0, 1, 1)
        let separate = try conv3d(x, weight: w, bias: b, padding: padding).applying(activation).toArray()
        let fused = try conv3d(x, weight: w, bias: b, padding: padding, activation: activation)
        Oracle.expectClose(fused, separate, shape: [1, 2, 3, 3, 3], atol: 1e-5, rtol: 1e-4)
        try Oracle.checkGradients([x, w]) { t in
            try conv3d(t[0], weight: t[1], bias: b, padding: padding, activation: activation)
        }
    }

    /// A residual block's shortcut, added in the conv's epilogue, equals the add and activation done
    /// after it, on each forward path: the direct 1x1x1 kernel, the BLAS 1x1x1 tiles (with and without
    /// a bias), one 1x1x1 product for a single pixel, and the dense and depthwise kernels (added after).
    @Test(arguments: [
        (cIn: 3, cOut: 8, kernel: 1, groups: 1, pixels: Dims3(2, 3, 3), bias: true),
        (cIn: 130, cOut: 8, kernel: 1, groups: 1, pixels: Dims3(2, 3, 3), bias: true),
        (cIn: 130, cOut: 8, kernel: 1, groups: 1, pixels: Dims3(2, 3, 3), bias: false),
        (cIn: 130, cOut: 8, kernel: 1, groups: 1, pixels: Dims3(1, 1, 1), bias: true),
        (cIn: 2, cOut: 3, kernel: 3, groups: 1, pixels: Dims3(2, 3, 3), bias: true),
        (cIn: 9, cOut: 9, kernel: 3, groups: 9, pixels: Dims3(2, 3, 3), bias: true),
    ])
    func fusedResidualMatchesSeparateAddWithAndWithoutGradients(
        _ c: (cIn: Int, cOut: Int, kernel: Int, groups: Int, pixels: Dims3, bias: Bool)
    ) throws {
        let shape = [2, c.pixels.t, c.pixels.h, c.pixels.w]
        let x = Oracle.tensor(shape + [c.cIn], seed: 21)
        let w = Oracle.tensor([c.cOut, c.kernel, c.kernel, c.kernel, c.cIn / c.groups], seed: 22, low: -0.5, high: 0.5)
        let b = c.bias ? Oracle.tensor([c.cOut], seed: 23) : nil
        let shortcut = Oracle.tensor(shape + [c.cOut], seed: 24)
        let padding = Dims3(all: c.kernel / 2)
        let separate = try (conv3d(x, weight: w, bias: b, padding: padding, groups: c.groups) + shortcut).relu()
        let fused = try Tensor.withNoGrad {
            try conv3d(x, weight: w, bias: b, padding: padding, groups: c.groups, residual: shortcut, activation: .relu)
        }
        Oracle.expectClose(fused, separate.toArray(), shape: shape + [c.cOut], atol: 1e-5, rtol: 1e-5)
        if c.cIn < 16 {
            try Oracle.checkGradients([x, shortcut]) { t in
                try conv3d(t[0], weight: w, bias: b, padding: padding, groups: c.groups, residual: t[1], activation: .silu)
            }
        }
        #expect(throws: TensorError.self) {
            try conv3d(x, weight: w, bias: b, padding: padding, groups: c.groups, residual: Tensor.zeros([1, c.cOut]))
        }
    }

    @Test func maxPoolMatchesReferenceAndGradients() throws {
        let g = try Pool3dGeometry(batch: 2, input: Dims3(2, 4, 5), channels: 3, kernel: Dims3(1, 3, 3),
                                   stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1))
        // Distinct values so that no window has a tie (finite differences would straddle it).
        var values: [Float] = []
        for i in 0..<240 {
            let step = Float((i * 37) % 240)
            values.append(step * 0.025 - 3)
        }
        let x = try Tensor(shape: [2, 2, 4, 5, 3], values: values)
        let y = try maxPool3d(x, kernel: g.kernel, stride: g.stride, padding: g.padding)
        Oracle.expectClose(y, Reference.maxPool(g, values), shape: [2, g.output.t, g.output.h, g.output.w, 3])
        try Oracle.checkGradients([x], epsilon: 1e-3) { t in
            try maxPool3d(t[0], kernel: g.kernel, stride: g.stride, padding: g.padding)
        }
    }

    @Test(arguments: [true, false])
    func avgPoolMatchesReferenceAndGradients(countIncludePad: Bool) throws {
        let g = try Pool3dGeometry(batch: 1, input: Dims3(3, 4, 4), channels: 2, kernel: Dims3(3, 3, 3),
                                   stride: Dims3(2, 2, 2), padding: Dims3(1, 1, 1))
        let x = Oracle.tensor([1, 3, 4, 4, 2], seed: 7)
        let y = try avgPool3d(x, kernel: g.kernel, stride: g.stride, padding: g.padding, countIncludePad: countIncludePad)
        Oracle.expectClose(y, Reference.avgPool(g, x.toArray(), countIncludePad: countIncludePad),
                           shape: [1, g.output.t, g.output.h, g.output.w, 2])
        try Oracle.checkGradients([x]) { t in
            try avgPool3d(t[0], kernel: g.kernel, stride: g.stride, padding: g.padding, countIncludePad: countIncludePad)
        }
    }

    @Test func adaptiveAvgPoolMatchesReferenceAndGradients() throws {
        let g = try AdaptiveAvgPool3d.Geometry(batch: 2, input: Dims3(3, 5, 4), channels: 2, output: Dims3(2, 3, 1))
        let x = Oracle.tensor([2, 3, 5, 4, 2], seed: 8)
        let y = try adaptiveAvgPool3d(x, outputSize: g.output)
        Oracle.expectClose(y, Reference.adaptiveAvgPool(g, x.toArray()), shape: [2, 2, 3, 1, 2])
        try Oracle.checkGradients([x]) { t in try adaptiveAvgPool3d(t[0], outputSize: g.output) }
    }
}
