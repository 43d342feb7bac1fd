import Testing
@testable import CadenceTensor

/// A small conv shape for parameterised tests.
struct ConvCase: Sendable, CustomTestStringConvertible {
    var name: String
    var batch = 1
    var input = Dims3(3, 5, 6)
    var cIn = 4
    var cOut = 6
    var kernel = Dims3(all: 3)
    var stride = Dims3(all: 1)
    var padding = Dims3(all: 1)
    var dilation = Dims3(all: 1)
    var groups = 1
    /// Relative error allowed against the float64 reference; long sums round more.
    var tolerance: Float = 1e-5

    var testDescription: String { name }

    func geometry() throws -> Conv3dGeometry {
        try Conv3dGeometry(batch: batch, input: input, inputChannels: cIn, outputChannels: cOut, kernel: kernel,
                           stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    static let dense: [ConvCase] = [
        ConvCase(name: "3x3x3 pad 1"),
        ConvCase(name: "pointwise", input: Dims3(2, 3, 5), cIn: 5, cOut: 7, kernel: Dims3(all: 1), padding: Dims3(all: 0)),
        ConvCase(name: "pointwise groups 2 batch 2", batch: 2, input: Dims3(2, 3, 3), cIn: 6, cOut: 4,
                 kernel: Dims3(all: 1), padding: Dims3(all: 0), groups: 2),
        ConvCase(name: "1x1x1 stride 2", input: Dims3(3, 5, 5), cIn: 3, cOut: 5, kernel: Dims3(all: 1),
                 stride: Dims3(1, 2, 2), padding: Dims3(all: 0)),
        ConvCase(name: "stride 2 asymmetric pad", batch: 2, input: Dims3(4, 7, 6), cIn: 3, cOut: 5,
                 kernel: Dims3(3, 3, 2), stride: Dims3(2, 2, 2), padding: Dims3(1, 0, 1)),
        ConvCase(name: "dilation 2", input: Dims3(5, 6, 7), cIn: 2, cOut: 3, kernel: Dims3(2, 3, 3),
                 padding: Dims3(1, 2, 2), dilation: Dims3(2, 2, 2)),
        ConvCase(name: "groups 3 temporal (3,1,1)", batch: 2, input: Dims3(4, 3, 3), cIn: 6, cOut: 9,
                 kernel: Dims3(3, 1, 1), padding: Dims3(1, 0, 0), groups: 3),
        ConvCase(name: "temporal (3,1,1) dilated", batch: 2, input: Dims3(6, 2, 3), cIn: 4, cOut: 5,
                 kernel: Dims3(3, 1, 1), padding: Dims3(2, 0, 0), dilation: Dims3(2, 1, 1)),
        ConvCase(name: "stem 1x7x7 stride (1,2,2)", input: Dims3(2, 9, 10), cIn: 3, cOut: 4,
                 kernel: Dims3(1, 7, 7), stride: Dims3(1, 2, 2), padding: Dims3(0, 3, 3)),
        ConvCase(name: "pointwise direct 6>21", input: Dims3(2, 3, 5), cIn: 6, cOut: 21, kernel: Dims3(all: 1),
                 padding: Dims3(all: 0)),
        ConvCase(name: "pointwise direct 9>27 batch 2", batch: 2, input: Dims3(1, 3, 3), cIn: 9, cOut: 27,
                 kernel: Dims3(all: 1), padding: Dims3(all: 0)),
        ConvCase(name: "pointwise direct backward 20>9", input: Dims3(2, 3, 5), cIn: 20, cOut: 9,
                 kernel: Dims3(all: 1), padding: Dims3(all: 0)),
        ConvCase(name: "depthwise scalar C=4", input: Dims3(3, 4, 5), cIn: 4, cOut: 4, groups: 4),
        ConvCase(name: "depthwise C=20 wide", batch: 2, input: Dims3(3, 3, 19), cIn: 20, cOut: 20, groups: 20),
        ConvCase(name: "depthwise C=32 stride 2", input: Dims3(3, 6, 21), cIn: 32, cOut: 32,
                 stride: Dims3(1, 2, 2), groups: 32),
        ConvCase(name: "depthwise C=18 dilated 5x1x1", input: Dims3(6, 2, 12), cIn: 18, cOut: 18,
                 kernel: Dims3(5, 1, 3), stride: Dims3(2, 1, 1), padding: Dims3(2, 0, 2), dilation: Dims3(1, 1, 2),
                 groups: 18),
        // Few input channels: the direct forward kernel, including a last register block that
        // overlaps the previous one and W padding on both sides.
        ConvCase(name: "narrow input stem 3>16", input: Dims3(2, 9, 15), cIn: 3, cOut: 16, kernel: Dims3(1, 7, 7),
                 stride: Dims3(1, 2, 2), padding: Dims3(0, 3, 3)),
        ConvCase(name: "narrow input 3x3x3 2>32 batch 2", batch: 2, input: Dims3(3, 4, 7), cIn: 2, cOut: 32),
        ConvCase(name: "narrow input strided asymmetric 4>16", input: Dims3(3, 5, 21), cIn: 4, cOut: 16,
                 kernel: Dims3(2, 3, 4), stride: Dims3(2, 1, 3), padding: Dims3(1, 0, 2)),
        // One temporal tap: the data gradient splits over output frames; with temporal stride and
        // padding some input frames receive nothing and must come back zero.
        ConvCase(name: "1x3x3 temporal stride 2 pad 1 batch 2", batch: 2, input: Dims3(5, 4, 5), cIn: 3, cOut: 5,
                 kernel: Dims3(1, 3, 3), stride: Dims3(2, 1, 1), padding: Dims3(1, 1, 1)),
        // Tall enough that each depthwise band holds several output rows.
        ConvCase(name: "depthwise C=24 tall bands", input: Dims3(2, 20, 21), cIn: 24, cOut: 24, groups: 24),
        // X3D's inner width: three vector pairs and an overlapping masked vector in the weight
        // gradient's sliding rows; the data gradient runs the forward kernel with reversed filters.
        ConvCase(name: "depthwise C=54 X3D block batch 2", batch: 2, input: Dims3(3, 5, 9), cIn: 54, cOut: 54,
                 groups: 54),
        // The X3D stem's temporal depthwise conv: one W tap, unit stride.
        ConvCase(name: "depthwise C=12 temporal 5x1x1", input: Dims3(4, 3, 5), cIn: 12, cOut: 12,
                 kernel: Dims3(5, 1, 1), padding: Dims3(2, 0, 0), groups: 12),
        // Unit stride with dilation: reversed filters with the dilated padding, generic weight rows.
        ConvCase(name: "depthwise C=16 dilated unit stride", input: Dims3(4, 5, 7), cIn: 16, cOut: 16,
                 padding: Dims3(2, 1, 2), dilation: Dims3(2, 1, 2), groups: 16),
        // Rows one column wide: the sliding window has no neighbour on either side.
        ConvCase(name: "depthwise C=10 one column", input: Dims3(2, 3, 1), cIn: 10, cOut: 10, groups: 10),
        // A temporal conv with enough output rows (5 x 12 x 12 per clip) for several row blocks.
        ConvCase(name: "temporal (3,1,1) in row blocks", batch: 2, input: Dims3(5, 12, 12), cIn: 4, cOut: 6,
                 kernel: Dims3(3, 1, 1), padding: Dims3(1, 0, 0)),
        // One pixel, too many channels for the direct pointwise kernel (X3D's lin_5 on the pooled
        // clip): the output channels are split over the pool.
        ConvCase(name: "1x1x1 on one pixel 130>70", input: Dims3(1, 1, 1), cIn: 130, cOut: 70,
                 kernel: Dims3(all: 1), padding: Dims3(all: 0)),
        // Spatial 3x3 convs by Winograd's F(2x2, 3x3): odd frame sizes (tiles hanging over the bottom and
        // right edges), channel counts off the vector width (overlapping last vectors), several blocks of
        // tiles, and the forward with bias.
        ConvCase(name: "winograd 1x3x3 36>40 odd frame batch 2", batch: 2, input: Dims3(2, 7, 9), cIn: 36, cOut: 40,
                 kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1)),
        // Forward sums run over 576 products and weight-gradient sums over 2,700 pixels here.
        ConvCase(name: "winograd 1x3x3 64>33 many blocks", input: Dims3(3, 30, 30), cIn: 64, cOut: 33,
                 kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1), tolerance: 5e-5),
        // Temporal 3-tap convs by Winograd's F(2, 3): an odd frame count (the last pair has one frame),
        // several clips, pixel blocks and channel counts off the vector width.
        ConvCase(name: "winograd (3,1,1) 40>36 odd frames batch 2", batch: 2, input: Dims3(5, 3, 7), cIn: 40, cOut: 36,
                 kernel: Dims3(3, 1, 1), padding: Dims3(1, 0, 0)),
        ConvCase(name: "winograd (3,1,1) 33>64 one frame", input: Dims3(1, 4, 4), cIn: 33, cOut: 64,
                 kernel: Dims3(3, 1, 1), padding: Dims3(1, 0, 0)),
        // SlowFast's fast-pathway stem shape (3 > 8, 5x7x7, stride (1,2,2)) and 3 > 24: blocks of one
        // vector of channels, the last overlapping the one before.
        ConvCase(name: "narrow input fast stem 3>8", input: Dims3(3, 9, 29), cIn: 3, cOut: 8, kernel: Dims3(5, 7, 7),
                 stride: Dims3(1, 2, 2), padding: Dims3(2, 3, 3)),
        ConvCase(name: "narrow input 3>24 pairs and a single", input: Dims3(2, 5, 27), cIn: 3, cOut: 24,
                 kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1)),
        // Depthwise rows swept whole in register blocks (3-tap, unit stride, padding 0 or 1; the packed
        // bands and strips take the first two on x86-64, and the last case below keeps the padded blocks
        // covered): one 4-wide block reading the padding on both sides; 8 + 4 + a last 4 moved back to
        // overlap (vector pairs and a leftover vector); 8 + an overlapping 4 without padding.
        ConvCase(name: "depthwise C=8 row of 4", input: Dims3(2, 3, 4), cIn: 8, cOut: 8, groups: 8),
        ConvCase(name: "depthwise C=20 row of 14", input: Dims3(2, 3, 14), cIn: 20, cOut: 20, groups: 20),
        ConvCase(name: "depthwise C=20 row of 10 unpadded", input: Dims3(2, 3, 12), cIn: 20, cOut: 20,
                 padding: Dims3(1, 1, 0), groups: 20),
        // Stride 2 with 5 taps along W: the row sweep's edge pixels and interior blocks (3 taps go to
        // `DepthwiseStrips`).
        ConvCase(name: "depthwise C=40 stride 2, 5 taps along W", input: Dims3(3, 6, 21), cIn: 40, cOut: 40,
                 kernel: Dims3(3, 3, 5), stride: Dims3(1, 2, 2), padding: Dims3(1, 1, 2), groups: 40),
        // A (1,3,3) kernel: padded rows of 8 + 4 + a block moved back in the row sweep on every
        // architecture (the packed bands take only 3x3x3).
        ConvCase(name: "depthwise C=20 (1,3,3) row of 14", input: Dims3(3, 4, 14), cIn: 20, cOut: 20,
                 kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1), groups: 20),
    ]
}

@Suite struct Conv3dTests {
    @Test(arguments: ConvCase.dense)
    func matchesReference(_ c: ConvCase) throws {
        let g = try c.geometry()
        var rng = SeededRandom(seed: 7)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(g.outputChannels)
        let dy = rng.array(g.outputCount)
        let y = makeOutput(g.outputCount) { Conv3d.forward(g, input: x, weights: w, bias: bias, output: $0) }
        #expect(maxRelativeError(y, Reference.convForward(g, x, w, bias)) < c.tolerance)
        let dx = makeOutput(g.inputCount) { Conv3d.backwardData(g, gradOutput: dy, weights: w, gradInput: $0) }
        #expect(maxRelativeError(dx, Reference.convBackwardData(g, dy, w)) < c.tolerance)
        var db = [Float](repeating: 0, count: g.outputChannels)
        let dw = makeOutput(g.weightCount) { out in
            db.withUnsafeMutableBufferPointer {
                Conv3d.backwardWeights(g, input: x, gradOutput: dy, gradWeights: out, gradBias: $0.baseAddress)
            }
        }
        #expect(maxRelativeError(dw, Reference.convBackwardWeights(g, x, dy)) < c.tolerance)
        var expectedBias = [Float](repeating: 0, count: g.outputChannels)
        for i in dy.indices { expectedBias[i % g.outputChannels] += dy[i] }
        #expect(maxRelativeError(db, expectedBias) < c.tolerance)
    }

    @Test(arguments: [ConvCase.dense[4], ConvCase.dense[5], ConvCase.dense[6], ConvCase.dense[7], ConvCase.dense[14]])
    func gradientsMatchFiniteDifferences(_ c: ConvCase) throws {
        let g = try c.geometry()
        var rng = SeededRandom(seed: 11)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), r = rng.array(g.outputCount)
        func loss(_ x: [Float], _ w: [Float]) -> Double {
            dot(makeOutput(g.outputCount) { Conv3d.forward(g, input: x, weights: w, output: $0) }, r)
        }
        let dx = makeOutput(g.inputCount) { Conv3d.backwardData(g, gradOutput: r, weights: w, gradInput: $0) }
        for i in probeIndices(g.inputCount) {
            #expect(abs(finiteDifference(x, at: i) { loss($0, w) } - Double(dx[i])) < 2e-2)
        }
        let dw = makeOutput(g.weightCount) { Conv3d.backwardWeights(g, input: x, gradOutput: r, gradWeights: $0) }
        for i in probeIndices(g.weightCount) {
            #expect(abs(finiteDifference(w, at: i) { loss(x, $0) } - Double(dw[i])) < 2e-2)
        }
    }

    @Test(arguments: [ConvCase.dense[0], ConvCase.dense[1], ConvCase.dense[6], ConvCase.dense[9], ConvCase.dense[13],
                     ConvCase.dense[16], ConvCase.dense[27], ConvCase.dense[29],
                     ConvCase.dense[31]])
    func epilogueAppliesBiasThenActivation(_ c: ConvCase) throws {
        let g = try c.geometry()
        var rng = SeededRandom(seed: 3)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(g.outputChannels)
        for activation in [Activation.relu, .silu, .gelu, .sigmoid] {
            let fused = makeOutput(g.outputCount) {
                Conv3d.forward(g, input: x, weights: w, bias: bias, activation: activation, output: $0)
            }
            var separate = Reference.convForward(g, x, w, bias)
            separate.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
            #expect(maxRelativeError(fused, separate) < 1e-5)
        }
    }

    @Test(arguments: [
        // X3D's geometry (on x86-64 the packed bands of `DepthwisePackedBand`, elsewhere rows swept in
        // register blocks), then stride 2 with 5 taps along W (edge pixels and interior blocks); both
        // outputs just over the streaming threshold.
        ConvCase(name: "depthwise C=20 streamed rows", input: Dims3(3, 40, 110), cIn: 20, cOut: 20, groups: 20),
        ConvCase(name: "depthwise C=12 streamed stride 2", input: Dims3(5, 81, 245), cIn: 12, cOut: 12,
                 kernel: Dims3(3, 3, 5), stride: Dims3(1, 2, 2), padding: Dims3(1, 1, 2), groups: 12),
    ])
    func depthwiseStreamsLargeOutputsThroughARowBuffer(_ c: ConvCase) throws {
        let g = try c.geometry()
        #expect(OutputStreaming.applies(toFloats: g.outputCount))
        var rng = SeededRandom(seed: 9)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(g.outputChannels)
        let y = makeOutput(g.outputCount) {
            Conv3d.forward(g, input: x, weights: w, bias: bias, activation: .relu, output: $0)
        }
        let expected = Reference.convForward(g, x, w, bias).map { max($0, 0) }
        #expect(maxRelativeError(y, expected) < 1e-5)
    }

    @Test func largeTileCountsRunAcrossThreads() throws {
        // Several tiles per worker, so workers take slices more than once.
        let g = try Conv3dGeometry(batch: 1, input: Dims3(6, 24, 24), inputChannels: 3, outputChannels: 2,
                                   kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1))
        #expect(g.outputPixels > 4 * Conv3d.tilePixels(g))
        var rng = SeededRandom(seed: 5)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), dy = rng.array(g.outputCount)
        let y = makeOutput(g.outputCount) { Conv3d.forward(g, input: x, weights: w, output: $0) }
        #expect(maxRelativeError(y, Reference.convForward(g, x, w, nil)) < 1e-5)
        let dw = makeOutput(g.weightCount) { Conv3d.backwardWeights(g, input: x, gradOutput: dy, gradWeights: $0) }
        #expect(maxRelativeError(dw, Reference.convBackwardWeights(g, x, dy)) < 1e-4)
    }

    @Test func pointwiseWeightGradientAccumulatesOverManyTiles() throws {
        // More pixels than one pointwise weight-gradient GEMM takes, so tiles accumulate.
        let g = try Conv3dGeometry(batch: 1, input: Dims3(2, 64, 70), inputChannels: 2, outputChannels: 3,
                                   kernel: Dims3(all: 1))
        #expect(g.outputPixels > 8192)
        var rng = SeededRandom(seed: 6)
        let x = rng.array(g.inputCount), dy = rng.array(g.outputCount)
        let dw = makeOutput(g.weightCount) { Conv3d.backwardWeights(g, input: x, gradOutput: dy, gradWeights: $0) }
        #expect(maxRelativeError(dw, Reference.convBackwardWeights(g, x, dy)) < 1e-4)
    }

    @Test(arguments: [(cIn: 24, cOut: 54), (cIn: 7, cOut: 16), (cIn: 54, cOut: 24)])
    func narrowPointwiseWeightGradientOverManyTiles(_ widths: (cIn: Int, cOut: Int)) throws {
        // X3D-like widths over several tiles and a partial last tile: vector triples, single
        // vectors (masked where they overlap) and input channels left over from blocks of four.
        let g = try Conv3dGeometry(batch: 2, input: Dims3(2, 9, 17), inputChannels: widths.cIn,
                                   outputChannels: widths.cOut, kernel: Dims3(all: 1))
        #expect(PointwiseWeightGradient.handles(inputChannels: g.inputChannels, outputChannels: g.outputChannels))
        #expect(g.outputPixels > 2 * PointwiseWeightGradient.tile(inputChannels: g.inputChannels,
                                                                  outputChannels: g.outputChannels))
        var rng = SeededRandom(seed: 8)
        let x = rng.array(g.inputCount), dy = rng.array(g.outputCount)
        let dw = makeOutput(g.weightCount) { Conv3d.backwardWeights(g, input: x, gradOutput: dy, gradWeights: $0) }
        #expect(maxRelativeError(dw, Reference.convBackwardWeights(g, x, dy)) < 1e-4)
    }

    @Test func spatialConvsTakeTheWinogradPathOnlyWhenWideEnough() throws {
        #expect(WinogradConv3d.handles(try ConvCase.dense[27].geometry()))
        #expect(WinogradConv3d.handles(try ConvCase.dense[28].geometry()))
        // SlowFast's fast pathway (8-32 channels) and strided or padded-in-time variants stay on im2col.
        let narrow = try Conv3dGeometry(batch: 1, input: Dims3(2, 6, 6), inputChannels: 16, outputChannels: 16,
                                        kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1))
        let strided = try Conv3dGeometry(batch: 1, input: Dims3(2, 6, 6), inputChannels: 64, outputChannels: 64,
                                         kernel: Dims3(1, 3, 3), stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1))
        #expect(!WinogradConv3d.handles(narrow))
        #expect(!WinogradConv3d.handles(strided))
        #expect(TemporalWinogradConv3d.handles(try ConvCase.dense[29].geometry()))
        #expect(TemporalWinogradConv3d.handles(try ConvCase.dense[30].geometry()))
        // Grouped, dilated or narrow temporal convs stay with one GEMM per tap.
        for index in [6, 7, 25] { #expect(!TemporalWinogradConv3d.handles(try ConvCase.dense[index].geometry())) }
        #expect(NarrowInputConv3d.handles(try ConvCase.dense[31].geometry()))
        #expect(NarrowInputConv3d.handles(try ConvCase.dense[32].geometry()))
    }

    @Test func rejectsBadGeometry() throws {
        let temporal = try ConvCase.dense[7].geometry()
        #expect(temporal.isTemporalOnly)
        #expect(PointwiseConv3d.handles(inputChannels: 6, outputChannels: 21))
        #expect(PointwiseConv3d.handles(inputChannels: 21, outputChannels: 6) == false)
        #expect(throws: KernelError.groupsDoNotDivide(kernel: "conv3d", channels: 5, groups: 2)) {
            try Conv3dGeometry(batch: 1, input: Dims3(1, 4, 4), inputChannels: 5, outputChannels: 4,
                               kernel: Dims3(all: 1), groups: 2)
        }
        #expect(throws: KernelError.emptyOutput(kernel: "conv3d", axis: "H", input: 2, window: 3)) {
            try Conv3dGeometry(batch: 1, input: Dims3(3, 2, 4), inputChannels: 1, outputChannels: 1,
                               kernel: Dims3(all: 3))
        }
        #expect(throws: KernelError.self) {
            try Conv3dGeometry(batch: 1, input: Dims3(3, 3, 3), inputChannels: 1, outputChannels: 1,
                               kernel: Dims3(all: 1), stride: Dims3(0, 1, 1))
        }
    }

    @Test func weightLayoutConvertsFromPyTorchAndBack() {
        let o = 2, cg = 3, kernel = Dims3(1, 2, 2)
        let torch = (0..<(o * cg * kernel.volume)).map(Float.init)
        let ours = makeOutput(torch.count) {
            ConvWeightLayout.fromPyTorch(torch, outputChannels: o, inputChannelsPerGroup: cg, kernel: kernel, into: $0)
        }
        // Ours [o=1, tap=2, c=1] is PyTorch [o=1, c=1, tap=2] = 1*12 + 1*4 + 2.
        #expect(ours[(1 * 4 + 2) * cg + 1] == 18)
        let back = makeOutput(torch.count) {
            ConvWeightLayout.toPyTorch(ours, outputChannels: o, inputChannelsPerGroup: cg, kernel: kernel, into: $0)
        }
        #expect(back == torch)
    }
}
