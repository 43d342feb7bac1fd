import Testing
@testable import CadenceTensor

/// Kernels against PyTorch's outputs and gradients (fixtures from scripts/fixtures/kernels.py).
@Suite struct GoldenKernelTests {
    static let tolerance: Float = 1e-4

    static let convCases: [(name: String, batch: Int, cIn: Int, cOut: Int, size: Dims3, kernel: Dims3,
                            stride: Dims3, padding: Dims3, dilation: Dims3, groups: Int)] = [
        ("conv_basic", 2, 3, 4, Dims3(3, 5, 5), Dims3(all: 3), Dims3(all: 1), Dims3(all: 1), Dims3(all: 1), 1),
        ("conv_groups", 1, 4, 6, Dims3(4, 3, 5), Dims3(3, 1, 3), Dims3(2, 1, 2), Dims3(1, 0, 1), Dims3(all: 1), 2),
        ("conv_dilation", 1, 2, 3, Dims3(3, 7, 7), Dims3(2, 3, 3), Dims3(all: 1), Dims3(0, 2, 2), Dims3(1, 2, 2), 1),
        ("conv_stem", 1, 3, 4, Dims3(2, 9, 9), Dims3(1, 7, 7), Dims3(1, 2, 2), Dims3(0, 3, 3), Dims3(all: 1), 1),
        ("conv_pointwise", 2, 6, 5, Dims3(2, 3, 4), Dims3(all: 1), Dims3(all: 1), Dims3(all: 0), Dims3(all: 1), 1),
        ("depthwise", 1, 20, 20, Dims3(3, 5, 12), Dims3(all: 3), Dims3(all: 1), Dims3(all: 1), Dims3(all: 1), 20),
        ("depthwise_stride", 1, 18, 18, Dims3(4, 6, 7), Dims3(all: 3), Dims3(1, 2, 2), Dims3(all: 1), Dims3(all: 1), 18),
        // SlowFast's slow stem at full width: `StemWinogradConv3d` on AVX-512 builds.
        ("conv_stem_wide", 1, 3, 64, Dims3(2, 8, 30), Dims3(1, 7, 7), Dims3(1, 2, 2), Dims3(0, 3, 3), Dims3(all: 1), 1),
    ]

    @Test(arguments: 0..<convCases.count)
    func conv3dMatchesPyTorch(_ i: Int) throws {
        let c = Self.convCases[i]
        let g = try Conv3dGeometry(batch: c.batch, input: c.size, inputChannels: c.cIn, outputChannels: c.cOut,
                                   kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation,
                                   groups: c.groups)
        let x = try NpyFixture(c.name, "x"), w = try NpyFixture(c.name, "w"), gy = try NpyFixture(c.name, "gy")
        let bias = try? NpyFixture(c.name, "b")
        #expect(try NpyFixture(c.name, "y").shape == [g.batch, g.output.t, g.output.h, g.output.w, g.outputChannels])
        let y = makeOutput(g.outputCount) {
            Conv3d.forward(g, input: x.values, weights: w.values, bias: bias?.values, output: $0)
        }
        #expect(maxRelativeError(y, try NpyFixture(c.name, "y").values) < Self.tolerance)
        let gx = makeOutput(g.inputCount) { Conv3d.backwardData(g, gradOutput: gy.values, weights: w.values, gradInput: $0) }
        #expect(maxRelativeError(gx, try NpyFixture(c.name, "gx").values) < Self.tolerance)
        var gb = [Float](repeating: 0, count: g.outputChannels)
        let gw = makeOutput(g.weightCount) { out in
            gb.withUnsafeMutableBufferPointer {
                Conv3d.backwardWeights(g, input: x.values, gradOutput: gy.values, gradWeights: out, gradBias: $0.baseAddress)
            }
        }
        #expect(maxRelativeError(gw, try NpyFixture(c.name, "gw").values) < Self.tolerance)
        if bias != nil { #expect(maxRelativeError(gb, try NpyFixture(c.name, "gb").values) < Self.tolerance) }
    }

    @Test func maxPoolMatchesPyTorch() throws {
        let g = try Pool3dGeometry(batch: 2, input: Dims3(3, 6, 7), channels: 3, kernel: Dims3(1, 3, 3),
                                   stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1))
        let x = try NpyFixture("maxpool", "x").values, gy = try NpyFixture("maxpool", "gy").values
        var indices = [Int32](repeating: 0, count: g.outputCount)
        let y = makeOutput(g.outputCount) { out in
            indices.withUnsafeMutableBufferPointer { MaxPool3d.forward(g, input: x, output: out, indices: $0.baseAddress!) }
        }
        #expect(y == (try NpyFixture("maxpool", "y").values))
        let gx = makeOutput(g.inputCount) {
            MaxPool3d.backward(g, gradOutput: gy, indices: indices, gradInput: $0)
        }
        #expect(maxRelativeError(gx, try NpyFixture("maxpool", "gx").values) < Self.tolerance)
    }

    @Test func avgPoolMatchesPyTorch() throws {
        let g = try Pool3dGeometry(batch: 2, input: Dims3(4, 5, 6), channels: 3, kernel: Dims3(all: 3),
                                   stride: Dims3(all: 2), padding: Dims3(all: 1))
        let x = try NpyFixture("avgpool", "x").values, gy = try NpyFixture("avgpool", "gy").values
        let y = try makeOutput(g.outputCount) { try AvgPool3d.forward(g, input: x, output: $0) }
        #expect(maxRelativeError(y, try NpyFixture("avgpool", "y").values) < Self.tolerance)
        let gx = try makeOutput(g.inputCount) { try AvgPool3d.backward(g, gradOutput: gy, gradInput: $0) }
        #expect(maxRelativeError(gx, try NpyFixture("avgpool", "gx").values) < Self.tolerance)
    }

    @Test func adaptiveAvgPoolMatchesPyTorch() throws {
        let g = try AdaptiveAvgPool3d.Geometry(batch: 2, input: Dims3(4, 5, 7), channels: 3, output: Dims3(2, 3, 3))
        let x = try NpyFixture("adaptive", "x").values, gy = try NpyFixture("adaptive", "gy").values
        let y = makeOutput(g.outputCount) { AdaptiveAvgPool3d.forward(g, input: x, output: $0) }
        #expect(maxRelativeError(y, try NpyFixture("adaptive", "y").values) < Self.tolerance)
        let gx = makeOutput(g.inputCount) { AdaptiveAvgPool3d.backward(g, gradOutput: gy, gradInput: $0) }
        #expect(maxRelativeError(gx, try NpyFixture("adaptive", "gx").values) < Self.tolerance)
    }

    @Test(arguments: [true, false])
    func batchNormMatchesPyTorch(_ training: Bool) throws {
        let name = training ? "bn_train" : "bn_eval"
        let rows = 2 * 2 * 3 * 4, c = 5, eps: Float = 1e-5
        let x = try NpyFixture(name, "x").values, gy = try NpyFixture(name, "gy").values
        let gamma = try NpyFixture(name, "gamma").values, beta = try NpyFixture(name, "beta").values
        var runningMean = try NpyFixture(name, "running_mean").values
        var runningVar = try NpyFixture(name, "running_var").values
        var ggamma = [Float](repeating: 0, count: c), gbeta = ggamma
        let y: [Float], gx: [Float]
        if training {
            var mean = [Float](repeating: 0, count: c), invStd = mean
            y = makeOutput(x.count) {
                BatchNorm.trainingForward(input: x, rows: rows, channels: c, gamma: gamma, beta: beta, eps: eps,
                                          momentum: 0.1, runningMean: &runningMean, runningVar: &runningVar,
                                          output: $0, savedMean: &mean, savedInvStd: &invStd)
            }
            gx = makeOutput(x.count) {
                BatchNorm.backward(input: x, gradOutput: gy, rows: rows, channels: c, gamma: gamma, savedMean: mean,
                                   savedInvStd: invStd, gradInput: $0, gradGamma: &ggamma, gradBeta: &gbeta)
            }
        } else {
            y = makeOutput(x.count) {
                BatchNorm.inferenceForward(input: x, rows: rows, channels: c, gamma: gamma, beta: beta, eps: eps,
                                           runningMean: runningMean, runningVar: runningVar, output: $0)
            }
            gx = makeOutput(x.count) {
                BatchNorm.inferenceBackward(input: x, gradOutput: gy, rows: rows, channels: c, gamma: gamma, eps: eps,
                                            runningMean: runningMean, runningVar: runningVar, gradInput: $0,
                                            gradGamma: &ggamma, gradBeta: &gbeta)
            }
        }
        #expect(maxRelativeError(y, try NpyFixture(name, "y").values) < Self.tolerance)
        #expect(maxRelativeError(gx, try NpyFixture(name, "gx").values) < Self.tolerance)
        #expect(maxRelativeError(ggamma, try NpyFixture(name, "ggamma").values) < Self.tolerance)
        #expect(maxRelativeError(gbeta, try NpyFixture(name, "gbeta").values) < Self.tolerance)
        #expect(maxRelativeError(runningMean, try NpyFixture(name, "new_running_mean").values) < Self.tolerance)
        #expect(maxRelativeError(runningVar, try NpyFixture(name, "new_running_var").values) < Self.tolerance)
    }

    @Test func layerNormMatchesPyTorch() throws {
        let rows = 28, dim = 10
        let x = try NpyFixture("layernorm", "x").values, gy = try NpyFixture("layernorm", "gy").values
        let gamma = try NpyFixture("layernorm", "gamma").values, beta = try NpyFixture("layernorm", "beta").values
        var mean = [Float](repeating: 0, count: rows), invStd = mean
        let y = makeOutput(x.count) {
            LayerNorm.forward(input: x, rows: rows, dim: dim, gamma: gamma, beta: beta, eps: 1e-5, output: $0,
                              savedMean: &mean, savedInvStd: &invStd)
        }
        #expect(maxRelativeError(y, try NpyFixture("layernorm", "y").values) < Self.tolerance)
        var ggamma = [Float](repeating: 0, count: dim), gbeta = ggamma
        let gx = makeOutput(x.count) {
            LayerNorm.backward(input: x, gradOutput: gy, rows: rows, dim: dim, gamma: gamma, savedMean: mean,
                               savedInvStd: invStd, gradInput: $0, gradGamma: &ggamma, gradBeta: &gbeta)
        }
        #expect(maxRelativeError(gx, try NpyFixture("layernorm", "gx").values) < Self.tolerance)
        #expect(maxRelativeError(ggamma, try NpyFixture("layernorm", "ggamma").values) < Self.tolerance)
        #expect(maxRelativeError(gbeta, try NpyFixture("layernorm", "gbeta").values) < Self.tolerance)
    }

    @Test func geluMatchesPyTorch() throws {
        let x = try NpyFixture("gelu", "x").values, gy = try NpyFixture("gelu", "gy").values
        var y = x
        y.withUnsafeMutableBufferPointer { Activation.gelu.apply($0.baseAddress!, count: $0.count) }
        #expect(maxRelativeError(y, try NpyFixture("gelu", "y").values) < 1e-5)
        let gx = makeOutput(x.count) { Activation.gelu.backward(saved: x, gradOutput: gy, gradInput: $0, count: x.count) }
        #expect(maxRelativeError(gx, try NpyFixture("gelu", "gx").values) < 1e-5)
    }
}
