import Testing
@testable import CadenceTensor

/// The pointwise conv's register blocks (x86-64), in the AVX2 form and, where the CPU has AVX-512, the
/// wide one: output channel counts that make every block group (one to four vectors, and the last
/// vector moved back when the count is off the lanes), pixel counts with blocks and single pixels left
/// over, several tiles, the weights as given or transposed, and a residual (odd and even input counts
/// for the paired vectors); and the weight gradient's blocks over the same widths (input channels left
/// over from the blocks, masked overlapping vectors, vectors along either side).
@Suite struct PointwiseBlocksTests {
    /// With 16 lanes, 17-24 channels end in three paired vectors (20: the last moved back), 40 and 54 in
    /// whole vectors and one paired vector, 70 and 88 after a group of four whole vectors.
    static let widths: [(cIn: Int, cOut: Int)] = [
        (3, 8), (5, 13), (24, 54), (54, 24), (7, 40), (2, 64), (9, 70), (3, 20), (54, 17), (33, 88),
    ]

    @Test(arguments: widths)
    func matchesThePlainProduct(_ widths: (cIn: Int, cOut: Int)) {
        #if arch(x86_64)
        let (cIn, cOut) = widths
        #expect(PointwiseConv3d.handles(inputChannels: cIn, outputChannels: cOut) == KernelCPU.hasAVX2)
        guard KernelCPU.hasAVX2 else { return }
        let pixels = 517
        var rng = SeededRandom(seed: UInt64(cIn * 100 + cOut))
        let x = rng.array(pixels * cIn), w = rng.array(cOut * cIn), bias = rng.array(cOut)
        let residual = rng.array(pixels * cOut)
        var expected = [Float](repeating: 0, count: pixels * cOut)
        for p in 0..<pixels {
            for o in 0..<cOut {
                var sum = bias[o] + residual[p * cOut + o]
                for c in 0..<cIn { sum += x[p * cIn + c] * w[o * cIn + c] }
                expected[p * cOut + o] = sum
            }
        }
        // The same weights laid out [C_in, C_out], as the data gradient passes them.
        var transposed = [Float](repeating: 0, count: cIn * cOut)
        for o in 0..<cOut { for c in 0..<cIn { transposed[c * cOut + o] = w[o * cIn + c] } }
        for wide in KernelCPU.hasAVX512 ? [false, true] : [false] {
            for (weights, isTransposed) in [(w, false), (transposed, true)] {
                let y = makeOutput(pixels * cOut) {
                    PointwiseConv3d.multiply(x, pixels: pixels, inputChannels: cIn, outputChannels: cOut,
                                             weights: weights, transposed: isTransposed, bias: bias,
                                             residual: residual, activation: .identity, output: $0, wide: wide)
                }
                #expect(maxRelativeError(y, expected) < 1e-5, "wide: \(wide), transposed: \(isTransposed)")
            }
        }
        #endif
    }

    @Test(arguments: widths)
    func weightGradientMatchesThePlainSum(_ widths: (cIn: Int, cOut: Int)) {
        #if arch(x86_64)
        let (cIn, cOut) = widths
        #expect(PointwiseWeightGradient.handles(inputChannels: cIn, outputChannels: cOut) == KernelCPU.hasAVX2)
        guard KernelCPU.hasAVX2 else { return }
        let pixels = 3 * PointwiseWeightGradient.tile(inputChannels: cIn, outputChannels: cOut) + 5
        var rng = SeededRandom(seed: UInt64(cIn * 1000 + cOut))
        let x = rng.array(pixels * cIn), dy = rng.array(pixels * cOut)
        var expected = [Float](repeating: 0, count: cOut * cIn)
        for o in 0..<cOut {
            for c in 0..<cIn {
                var sum: Float = 0
                for p in 0..<pixels { sum += dy[p * cOut + o] * x[p * cIn + c] }
                expected[o * cIn + c] = sum
            }
        }
        for wide in KernelCPU.hasAVX512 ? [false, true] : [false] {
            let dw = makeOutput(cOut * cIn) {
                PointwiseWeightGradient.compute(input: x, gradOutput: dy, pixels: pixels, inputChannels: cIn,
                                                outputChannels: cOut, gradWeights: $0, wide: wide)
            }
            #expect(maxRelativeError(dw, expected) < 1e-4, "wide: \(wide)")
        }
        #endif
    }
}
