import Testing
@testable import CadenceTensor

/// The depthwise forward on frame runs swept per channel group: stride 2 along W with one block, a block
/// and a last one moved back to overlap, odd and even input widths (the last column read is padding or
/// not), no padding; unit-stride rows shorter than the packed bands take; channel counts of one vector,
/// pairs of vectors, a leftover vector and an overlapping last one (in both vector widths); frame runs
/// that do not divide the frames, strided and unpadded T and H, several clips, and bands of rows split
/// for the threads.
@Suite struct DepthwiseStripsTests {
    static func depthwise(
        _ name: String, batch: Int = 1, _ input: Dims3, channels: Int, kernel: Dims3 = Dims3(all: 3),
        stride: Dims3 = Dims3(1, 2, 2), padding: Dims3 = Dims3(all: 1)
    ) -> ConvCase {
        ConvCase(name: name, batch: batch, input: input, cIn: channels, cOut: channels, kernel: kernel,
                 stride: stride, padding: padding, groups: channels)
    }

    static let cases: [ConvCase] = [
        depthwise("C=16 stride 2, one block of 4", Dims3(2, 3, 8), channels: 16),
        depthwise("C=32 stride 2, 9 wide: the last column inside", Dims3(3, 5, 9), channels: 32),
        depthwise("C=54 stride 2, 14 wide: 4 and a block moved back", Dims3(5, 6, 14), channels: 54),
        depthwise("C=20 stride 2 unpadded, 11 wide", Dims3(4, 7, 11), channels: 20, padding: Dims3(1, 1, 0)),
        depthwise("C=40 stride 2 in T too, batch 2", batch: 2, Dims3(9, 4, 12), channels: 40,
                  stride: Dims3(all: 2)),
        depthwise("C=24 stride 2, (1,3,3) unpadded T", Dims3(6, 6, 10), channels: 24, kernel: Dims3(1, 3, 3),
                  padding: Dims3(0, 1, 1)),
        depthwise("C=48 stride 2, (5,1,3)", Dims3(7, 3, 16), channels: 48, kernel: Dims3(5, 1, 3),
                  padding: Dims3(2, 0, 1)),
        depthwise("C=432 X3D res5 7x7", Dims3(5, 7, 7), channels: 432, stride: Dims3(all: 1)),
        depthwise("C=27 unit stride 5x5", Dims3(6, 5, 5), channels: 27, stride: Dims3(all: 1)),
        depthwise("C=16 unit stride, 6 wide unpadded", Dims3(3, 4, 6), channels: 16, stride: Dims3(all: 1),
                  padding: Dims3(1, 1, 0)),
    ]

    @Test(arguments: cases)
    func matchesReference(_ c: ConvCase) throws {
        let g = try c.geometry()
        #expect(DepthwiseStrips.handles(g))
        expectForwardMatchesReference(g, seed: 17) { x, w, bias, activation, out in
            DepthwiseStrips.forward(g, input: x, weights: w, bias: bias, activation: activation, output: out)
        }
    }

    /// `Conv3d` sends these geometries here, and its data gradient of the unit-stride ones (the forward
    /// pass with reversed filters) comes out right through it too.
    @Test func conv3dRoutesHereAndTheGradientFollows() throws {
        let g = try Self.cases[7].geometry()
        var rng = SeededRandom(seed: 19)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), dy = rng.array(g.outputCount)
        let y = makeOutput(g.outputCount) { Conv3d.forward(g, input: x, weights: w, output: $0) }
        #expect(maxRelativeError(y, Reference.convForward(g, x, w, nil)) < 1e-5)
        let dx = makeOutput(g.inputCount) { Conv3d.backwardData(g, gradOutput: dy, weights: w, gradInput: $0) }
        #expect(maxRelativeError(dx, Reference.convBackwardData(g, dy, w)) < 1e-5)
    }

    @Test func takesThreeTapRowsAtStrideTwoAndShortOnesAtStrideOne() throws {
        func geometry(_ input: Dims3, channels: Int = 32, kernel: Dims3 = Dims3(all: 3), stride: Int = 2,
                      padding: Int = 1, dilation: Int = 1) throws -> Conv3dGeometry {
            try Conv3dGeometry(batch: 1, input: input, inputChannels: channels, outputChannels: channels,
                               kernel: kernel, stride: Dims3(1, stride, stride), padding: Dims3(all: padding),
                               dilation: Dims3(all: dilation), groups: channels)
        }
        #expect(DepthwiseStrips.handles(try geometry(Dims3(4, 56, 56))))
        #expect(DepthwiseStrips.handles(try geometry(Dims3(4, 7, 7), stride: 1)))
        // Rows wider than 64 columns stay with the row sweep.
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(4, 8, 65))))
        // Rows of 8 or more at unit stride are the packed bands' (or the row sweep's).
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(4, 8, 8), stride: 1)))
        // Fewer than 4 outputs, fewer channels than a vector, other taps, padding or dilation along W.
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(4, 6, 6))))
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(4, 12, 12), channels: vectorWidth - 1)))
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(4, 12, 12), kernel: Dims3(3, 3, 5), padding: 2)))
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(6, 12, 12), kernel: Dims3(5, 1, 1), padding: 0)))
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(4, 12, 12), padding: 2)))
        #expect(!DepthwiseStrips.handles(try geometry(Dims3(4, 12, 12), padding: 2, dilation: 2)))
    }
}
