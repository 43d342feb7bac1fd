import CadenceTestSupport
import Testing
@testable import CadenceTensor

/// Seven-tap stride-2 stems by Winograd along W: SlowFast's slow stem (1x7x7) with one block of tiles,
/// its last tile holding one output; a 5x7x7 over several clips with T padding and a last block of tiles
/// moved back to overlap; strided T, unit-stride H, no W padding and four input channels; one input
/// channel (whose last columns cannot load four floats), two channel blocks, and enough output rows
/// that the threads take several slices, each refilling its ring of transformed rows; two input
/// channels with W padding 2; an output large enough to leave through the streaming row buffer; and
/// one thread, whose single slice reuses every transformed row. Builds without AVX-512 vectors leave
/// these convs to `NarrowInputConv3d`; there the cases check the routing only.
@Suite struct StemWinogradConv3dTests {
    static func stem(
        _ name: String, batch: Int = 1, _ input: Dims3, cIn: Int = 3, cOut: Int = 64, kernel: Dims3 = Dims3(1, 7, 7),
        stride: Dims3 = Dims3(1, 2, 2), padding: Dims3 = Dims3(0, 3, 3)
    ) -> ConvCase {
        ConvCase(name: name, batch: batch, input: input, cIn: cIn, cOut: cOut, kernel: kernel, stride: stride,
                 padding: padding, tolerance: 5e-5)
    }

    static let cases: [ConvCase] = [
        stem("1x7x7, 13 wide: one block, a last tile of one output", Dims3(2, 9, 26)),
        stem("5x7x7 batch 2, 22 wide: a block moved back", batch: 2, Dims3(4, 7, 44), kernel: Dims3(5, 7, 7),
             padding: Dims3(2, 3, 3)),
        stem("(2,3,7) 4 inputs, strided T, unit H, unpadded W, 19 wide", Dims3(5, 6, 43), cIn: 4,
             kernel: Dims3(2, 3, 7), stride: Dims3(2, 1, 2), padding: Dims3(1, 1, 0)),
        stem("1x7x7 1>128, many slices", Dims3(3, 40, 31), cIn: 1, cOut: 128),
        stem("1x7x7 2 inputs, W padding 2, 16 wide", Dims3(2, 10, 33), cIn: 2, padding: Dims3(0, 3, 2)),
        stem("1x7x7, 129 wide: the output streamed", Dims3(2, 32, 258)),
    ]

    @Test(arguments: cases)
    func matchesReference(_ c: ConvCase) throws {
        let g = try c.geometry()
        #expect(StemWinogradConv3d.handles(g) == StemWinogradConv3d.available)
        if StemWinogradConv3d.available {
            expectForwardMatchesReference(g, seed: 31, tolerance: c.tolerance) { x, w, bias, activation, out in
                StemWinogradConv3d.forward(g, input: x, weights: w, bias: bias, activation: activation, output: out)
            }
        }
        // `Conv3d` routes it here.
        var rng = SeededRandom(seed: 37)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(g.outputChannels)
        let routed = makeOutput(g.outputCount) { Conv3d.forward(g, input: x, weights: w, bias: bias, output: $0) }
        #expect(maxRelativeError(routed, Reference.convForward(g, x, w, bias)) < c.tolerance)
    }

    /// On one thread a slice holds every output row, so the ring's transformed rows serve the next
    /// output rows (with many threads, slices can be single rows that never reuse them).
    @Test func oneThreadReusesTransformedRows() throws {
        guard StemWinogradConv3d.available else { return }
        for c in [Self.cases[0], Self.cases[2], Self.cases[3]] {
            let g = try c.geometry()
            ThreadSettingsLock.on(threads: 1) {
                expectForwardMatchesReference(g, seed: 41, tolerance: c.tolerance) { x, w, bias, activation, out in
                    StemWinogradConv3d.forward(g, input: x, weights: w, bias: bias, activation: activation,
                                               output: out)
                }
            }
        }
    }

    @Test func casesCoverStreaming() throws {
        #expect(!OutputStreaming.applies(toFloats: try Self.cases[3].geometry().outputCount))
        #expect(OutputStreaming.applies(toFloats: try Self.cases[5].geometry().outputCount))
    }

    @Test func takesSevenTapStrideTwoStemsOnly() throws {
        func geometry(
            input: Dims3 = Dims3(1, 8, 40), cIn: Int = 3, cOut: Int = 64, kernel: Dims3 = Dims3(1, 7, 7),
            stride: Dims3 = Dims3(1, 2, 2), dilation: Dims3 = Dims3(all: 1)
        ) throws -> Conv3dGeometry {
            try Conv3dGeometry(batch: 1, input: input, inputChannels: cIn, outputChannels: cOut, kernel: kernel,
                               stride: stride, padding: Dims3(0, 3, 3), dilation: dilation)
        }
        #expect(StemWinogradConv3d.handles(try geometry()) == StemWinogradConv3d.available)
        #expect(!StemWinogradConv3d.handles(try geometry(kernel: Dims3(1, 5, 5))))
        #expect(!StemWinogradConv3d.handles(try geometry(stride: Dims3(all: 1))))
        #expect(!StemWinogradConv3d.handles(try geometry(cIn: 8)))
        // SlowFast's fast stem has 8 output channels, fewer than a block: it stays direct.
        #expect(!StemWinogradConv3d.handles(try geometry(cOut: 8)))
        #expect(!StemWinogradConv3d.handles(try geometry(cOut: 96)))
        #expect(!StemWinogradConv3d.handles(try geometry(dilation: Dims3(1, 2, 1))))
        // Rows narrower than a block of tiles (13 outputs).
        #expect(!StemWinogradConv3d.handles(try geometry(input: Dims3(1, 8, 24))))
    }
}
