import Testing
@testable import CadenceTensor

/// The depthwise forward along T only, on frames as flat arrays: X3D's stem conv (24 channels, a lane
/// period of a few vectors), channel counts whose period is many vectors or leaves a scalar tail,
/// stride, dilation and no padding along T, several clips, frames of several bands with a partial last
/// one, frames too small for a band per thread (runs of frames instead), and an output large enough to
/// leave through the streaming buffer.
@Suite struct DepthwiseTemporalTests {
    static func temporal(
        _ name: String, batch: Int = 1, _ input: Dims3, channels: Int, kernel: Int = 5, stride: Int = 1,
        padding: Int = 2, dilation: Int = 1
    ) -> ConvCase {
        ConvCase(name: name, batch: batch, input: input, cIn: channels, cOut: channels,
                 kernel: Dims3(kernel, 1, 1), stride: Dims3(stride, 1, 1), padding: Dims3(padding, 0, 0),
                 dilation: Dims3(dilation, 1, 1), groups: channels)
    }

    static let cases: [ConvCase] = [
        temporal("C=24 X3D stem", Dims3(6, 9, 11), channels: 24),
        temporal("C=7 scalar tail batch 2", batch: 2, Dims3(4, 5, 3), channels: 7),
        temporal("C=54 stride 2, dilation 2", Dims3(9, 6, 7), channels: 54, kernel: 3, stride: 2, dilation: 2),
        temporal("C=16 unpadded (3,1,1)", Dims3(5, 4, 4), channels: 16, kernel: 3, padding: 0),
        temporal("C=40 several bands", Dims3(3, 17, 13), channels: 40),
        temporal("C=24 streamed", Dims3(4, 64, 64), channels: 24),
    ]

    @Test(arguments: cases)
    func matchesReference(_ c: ConvCase) throws {
        let g = try c.geometry()
        #expect(DepthwiseTemporal.handles(g))
        expectForwardMatchesReference(g, seed: 23) { x, w, bias, activation, out in
            DepthwiseTemporal.forward(g, input: x, weights: w, bias: bias, activation: activation, output: out)
        }
        // Through `Conv3d`, which routes it here, with the data gradient (the forward with reversed taps
        // where the stride is 1).
        var rng = SeededRandom(seed: 29)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(g.outputChannels)
        let dy = rng.array(g.outputCount)
        let routed = makeOutput(g.outputCount) { Conv3d.forward(g, input: x, weights: w, bias: bias, output: $0) }
        #expect(maxRelativeError(routed, Reference.convForward(g, x, w, bias)) < 1e-5)
        let dx = makeOutput(g.inputCount) { Conv3d.backwardData(g, gradOutput: dy, weights: w, gradInput: $0) }
        #expect(maxRelativeError(dx, Reference.convBackwardData(g, dy, w)) < 1e-5)
    }

    @Test func casesCoverBandsAndStreaming() throws {
        let bands = try Self.cases[4].geometry()
        #expect(bands.input.h * bands.input.w * bands.inputChannels > DepthwiseTemporal.bandFloats)
        let streamed = try Self.cases[5].geometry()
        #expect(OutputStreaming.applies(toFloats: streamed.outputCount))
    }

    @Test func takesKernelsAlongTimeOnly() throws {
        func geometry(kernel: Dims3, stride: Dims3 = Dims3(all: 1), padding: Dims3 = Dims3(all: 0))
            throws -> Conv3dGeometry {
            try Conv3dGeometry(batch: 1, input: Dims3(6, 8, 8), inputChannels: 8, outputChannels: 8, kernel: kernel,
                               stride: stride, padding: padding, groups: 8)
        }
        #expect(DepthwiseTemporal.handles(try geometry(kernel: Dims3(5, 1, 1), padding: Dims3(2, 0, 0))))
        #expect(!DepthwiseTemporal.handles(try geometry(kernel: Dims3(3, 1, 3))))
        #expect(!DepthwiseTemporal.handles(try geometry(kernel: Dims3(3, 1, 1), stride: Dims3(1, 2, 2))))
        #expect(!DepthwiseTemporal.handles(try geometry(kernel: Dims3(3, 1, 1), padding: Dims3(1, 1, 0))))
    }
}
