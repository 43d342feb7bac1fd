/// Convolutions that mix frames but not pixels (kernel `(kT, 1, 1)`, unit stride, no spatial
/// padding; SlowFast's temporal convs), computed without im2col: with unit temporal stride, the
/// output frames a tap `kt` reaches read a contiguous run of input frames, so each tap is one GEMM
/// over all those pixels (`[pixels, C] x W_kt^T`) accumulated into the output; the forward pass
/// splits each over the pool (`Gemm.multiplyOnPool`). `Conv3d` routes geometries with
/// `isTemporalOnly` here.
enum TemporalConv3d {
    /// Output frames `[lo, hi)` (of `frames`, in one clip) that tap `kt` reaches from inside the
    /// input, and the input frame feeding `lo`; nil when it reaches none.
    @inline(__always)
    static func reach(_ g: Conv3dGeometry, tap kt: Int, outputFrames frames: Range<Int>) -> (Range<Int>, Int)? {
        let shift = kt * g.dilation.t - g.padding.t
        let lo = max(frames.lowerBound, -shift), hi = min(frames.upperBound, g.input.t - shift)
        return lo < hi ? (lo..<hi, lo + shift) : nil
    }

    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let frame = g.output.h * g.output.w, cIn = g.inputChannels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, row = g.kernel.t * cg
        for n in 0..<g.batch {
            let frames = 0..<g.output.t
            let out = output + n * g.output.t * frame * cOut
            let rows = g.output.t * frame
            if let bias {
                for r in 0..<rows { (out + r * cOut).update(from: bias, count: cOut) }
            } else {
                out.update(repeating: 0, count: rows * cOut)
            }
            for kt in 0..<g.kernel.t {
                guard let (reached, firstInput) = reach(g, tap: kt, outputFrames: frames) else { continue }
                for group in 0..<g.groups {
                    Gemm.multiplyOnPool(transposeB: true, m: reached.count * frame, n: og, k: cg,
                                        a: input + (n * g.input.t + firstInput) * frame * cIn + group * cg, lda: cIn,
                                        b: weights + group * og * row + kt * cg, ldb: row, beta: 1,
                                        c: output + (n * g.output.t + reached.lowerBound) * frame * cOut + group * og,
                                        ldc: cOut)
                }
            }
            activation.applyParallel(out, count: rows * cOut)
        }
    }

    /// Input frames gather every tap that reads them.
    static func backwardData(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        let frame = g.input.h * g.input.w, cIn = g.inputChannels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, row = g.kernel.t * cg
        Gemm.setThreads(Parallel.threadCount)
        for n in 0..<g.batch {
            (gradInput + n * g.input.t * frame * cIn).update(repeating: 0, count: g.input.t * frame * cIn)
            for kt in 0..<g.kernel.t {
                // Output frame t reads input frame t + shift.
                let shift = kt * g.dilation.t - g.padding.t
                let lo = max(0, shift), hi = min(g.input.t, g.output.t + shift)
                guard lo < hi else { continue }
                for group in 0..<g.groups {
                    Gemm.multiply(m: (hi - lo) * frame, n: cg, k: og,
                                  a: gradOutput + (n * g.output.t + lo - shift) * frame * cOut + group * og,
                                  lda: cOut, b: weights + group * og * row + kt * cg, ldb: row, beta: 1,
                                  c: gradInput + (n * g.input.t + lo) * frame * cIn + group * cg, ldc: cIn)
                }
            }
        }
    }

    /// Weight-gradient sums over each clip, one GEMM per tap and group.
    static func backwardWeights(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
        gradWeights: UnsafeMutablePointer<Float>
    ) {
        let frame = g.output.h * g.output.w, cIn = g.inputChannels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, row = g.kernel.t * cg
        gradWeights.initialize(repeating: 0, count: g.weightCount)
        Gemm.setThreads(Parallel.threadCount)
        for n in 0..<g.batch {
            let frames = 0..<g.output.t
            for kt in 0..<g.kernel.t {
                guard let (reached, firstInput) = reach(g, tap: kt, outputFrames: frames) else { continue }
                for group in 0..<g.groups {
                    Gemm.multiply(transposeA: true, m: og, n: cg, k: reached.count * frame,
                                  a: gradOutput + (n * g.output.t + reached.lowerBound) * frame * cOut + group * og,
                                  lda: cOut, b: input + (n * g.input.t + firstInput) * frame * cIn + group * cg,
                                  ldb: cIn, beta: 1, c: gradWeights + group * og * row + kt * cg, ldc: row)
                }
            }
        }
    }
}
