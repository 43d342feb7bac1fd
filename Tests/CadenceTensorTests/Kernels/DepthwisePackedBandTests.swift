import CadenceTestSupport
import Foundation
import Testing
@testable import CadenceTensor

/// X3D's depthwise forward on packed bands (x86-64), in its AVX2 form and, where the CPU has AVX-512, its
/// wide one: row widths made of each form's blocks (12, 8, 4 and 28, 14, 8 wide) and a last block moved
/// back to overlap, channel counts off the vector widths (the last channel block overlaps, or is an
/// 8-lane block after 16-lane ones), single frames and rows (both neighbours are zero padding), several
/// clips, runs of frames, and an output large enough to leave through the streaming buffers.
@Suite struct DepthwisePackedBandTests {
    static func depthwise(_ name: String, batch: Int = 1, _ input: Dims3, channels: Int) -> ConvCase {
        ConvCase(name: name, batch: batch, input: input, cIn: channels, cOut: channels, groups: channels)
    }

    static let cases: [ConvCase] = [
        depthwise("C=8 one frame, one row of 8", Dims3(1, 1, 8), channels: 8),
        depthwise("C=9 row of 9 batch 2", batch: 2, Dims3(4, 3, 9), channels: 9),
        depthwise("C=54 row of 13", Dims3(3, 7, 13), channels: 54),
        depthwise("C=24 row of 20", Dims3(2, 4, 20), channels: 24),
        depthwise("C=12 row of 28", Dims3(2, 2, 28), channels: 12),
        depthwise("C=16 row of 26, frame runs", Dims3(9, 3, 26), channels: 16),
        depthwise("C=27 row of 30", Dims3(2, 3, 30), channels: 27),
        depthwise("C=216 row of 14", Dims3(2, 3, 14), channels: 216),
        depthwise("C=40 streamed, 56 wide", Dims3(4, 30, 56), channels: 40),
    ]

    @Test(arguments: cases)
    func matchesReference(_ c: ConvCase) throws {
        let g = try c.geometry()
        #expect(DepthwisePackedBand.handles(g) == Self.available)
        #if arch(x86_64)
        guard Self.available else { return }
        var rng = SeededRandom(seed: 13)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(g.outputChannels)
        for wide in KernelCPU.hasAVX512 ? [false, true] : [false] {
            for activation in [Activation.identity, .relu] {
                let y = makeOutput(g.outputCount) {
                    DepthwisePackedBand.forward(g, input: x, weights: w, bias: bias, activation: activation,
                                                output: $0, wide: wide)
                }
                var expected = Reference.convForward(g, x, w, bias)
                expected.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
                #expect(maxRelativeError(y, expected) < 1e-5, "wide: \(wide)")
            }
            let unbiased = makeOutput(g.outputCount) {
                DepthwisePackedBand.forward(g, input: x, weights: w, bias: nil, activation: .identity, output: $0,
                                            wide: wide)
            }
            #expect(maxRelativeError(unbiased, Reference.convForward(g, x, w, nil)) < 1e-5, "wide: \(wide)")
        }
        #endif
    }

    @Test func largeCaseStreamsItsOutput() throws {
        let g = try Self.cases.last!.geometry()
        #expect(OutputStreaming.applies(toFloats: g.outputCount))
    }

    @Test func takesOnlyX3DsGeometry() throws {
        func geometry(_ input: Dims3, channels: Int, stride: Int = 1, padding: Int = 1, dilation: Int = 1,
                      kernel: Int = 3) throws -> Conv3dGeometry {
            try Conv3dGeometry(batch: 1, input: input, inputChannels: channels, outputChannels: channels,
                               kernel: Dims3(all: kernel), stride: Dims3(all: stride), padding: Dims3(all: padding),
                               dilation: Dims3(all: dilation), groups: channels)
        }
        #expect(DepthwisePackedBand.handles(try geometry(Dims3(4, 8, 8), channels: 8)) == Self.available)
        #expect(!DepthwisePackedBand.handles(try geometry(Dims3(4, 8, 8), channels: 7)))
        #expect(!DepthwisePackedBand.handles(try geometry(Dims3(4, 8, 7), channels: 16)))
        #expect(!DepthwisePackedBand.handles(try geometry(Dims3(4, 8, 8), channels: 16, stride: 2)))
        #expect(!DepthwisePackedBand.handles(try geometry(Dims3(4, 8, 8), channels: 16, padding: 0)))
        #expect(!DepthwisePackedBand.handles(try geometry(Dims3(4, 8, 8), channels: 16, padding: 2, dilation: 2)))
        #expect(!DepthwisePackedBand.handles(try geometry(Dims3(4, 8, 8), channels: 16, padding: 2, kernel: 5)))
    }

    #if arch(x86_64)
    /// Every thread gets work (or the split is as fine as it goes), and no band is taller than the L2
    /// budget allows.
    @Test(arguments: [Dims3(16, 56, 56), Dims3(16, 14, 14), Dims3(4, 5, 5), Dims3(1, 3, 8), Dims3(16, 7, 7)])
    func splitFeedsEveryThreadWithinTheBudget(_ size: Dims3) throws {
        let g = try Conv3dGeometry(batch: 1, input: size, inputChannels: 54, outputChannels: 54,
                                   kernel: Dims3(all: 3), padding: Dims3(all: 1), groups: 54)
        // Under the lock: another test may set the thread count while this one reads it twice.
        ThreadSettingsLock.on(threads: ProcessInfo.processInfo.activeProcessorCount) {
            for rowsFitting in [1, 5, 100] {
                let (bands, runs) = DepthwisePackedBand.split(g, rowsFitting: rowsFitting)
                #expect(bands >= 1 && bands <= size.h && runs >= 1 && runs <= size.t)
                #expect(bands * runs >= min(4 * Parallel.threadCount, size.h * size.t))
                #expect((size.h + bands - 1) / bands <= rowsFitting || bands == size.h)
            }
        }
    }
    #endif

    /// x86-64 with AVX2 and FMA: where the packed path runs.
    static var available: Bool {
        #if arch(x86_64)
        KernelCPU.hasAVX2
        #else
        false
        #endif
    }
}
