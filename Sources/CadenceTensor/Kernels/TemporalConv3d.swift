/// Convolutions that mix frames but not pixels (kernel `(kT, 1, 1)`, unit stride, no spatial
/// padding; SlowFast's temporal convs), computed without im2col: with unit temporal stride, the
/// output frames a tap `kt` reaches read a contiguous run of input frames, so each tap is one GEMM
/// over all those pixels (`[pixels, C] x W_kt^T`) accumulated into the output. `Conv3d` routes
/// geometries with `isTemporalOnly` here.
enum TemporalConv3d {
    /// Output frames `[lo, hi)` (of one clip) that tap `kt` reaches from inside the input, and the
    /// input frame feeding `lo`; nil when none of `frames` does.
    @inline(__always)
    static func reach(_ g: Conv3dGeometry, tap kt: Int, outputFrames frames: Range<Int>) -> (Range<Int>, Int)? {
        let shift = kt * g.dilation.t - g.padding.t
        let lo = max(frames.lowerBound, -shift), hi = min(frames.upperBound, g.input.t - shift)
        return lo < hi ? (lo..<hi, lo + shift) : nil
    }

    /// Splits `0..<batch*frames` frame indices of a worker's slice into per-clip runs.
    @inline(__always)
    static func clipRuns(_ slice: Range<Int>, frames: Int, _ body: (_ n: Int, _ frames: Range<Int>) -> Void) {
        var i = slice.lowerBound
        while i < slice.upperBound {
            let n = i / frames, end = min(slice.upperBound, (n + 1) * frames)
            body(n, (i - n * frames)..<(end - n * frames))
            i = end
        }
    }

    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let frame = g.output.h * g.output.w, cIn = g.inputChannels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, row = g.kernel.t * cg
        KernelThreads.forEachSlice(g.batch * g.output.t) { _, slice in
            clipRuns(slice, frames: g.output.t) { n, frames in
                let out = output + (n * g.output.t + frames.lowerBound) * frame * cOut
                let rows = frames.count * frame
                if let bias {
                    for r in 0..<rows { (out + r * cOut).update(from: bias, count: cOut) }
                } else {
                    out.update(repeating: 0, count: rows * cOut)
                }
                for kt in 0..<g.kernel.t {
                    guard let (reached, firstInput) = reach(g, tap: kt, outputFrames: frames) else { continue }
                    for group in 0..<g.groups {
                        Gemm.multiply(transposeB: true, m: reached.count * frame, n: og, k: cg,
                                      a: input + (n * g.input.t + firstInput) * frame * cIn + group * cg, lda: cIn,
                                      b: weights + group * og * row + kt * cg, ldb: row, beta: 1,
                                      c: output + (n * g.output.t + reached.lowerBound) * frame * cOut + group * og,
                                      ldc: cOut)
                    }
                }
                activation.apply(out, count: rows * cOut)
            }
        }
    }

    /// Each worker owns a run of input frames, gathering every tap that reads them.
    static func backwardData(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        let frame = g.input.h * g.input.w, cIn = g.inputChannels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, row = g.kernel.t * cg
        KernelThreads.forEachSlice(g.batch * g.input.t) { _, slice in
            clipRuns(slice, frames: g.input.t) { n, inputFrames in
                (gradInput + (n * g.input.t + inputFrames.lowerBound) * frame * cIn)
                    .update(repeating: 0, count: inputFrames.count * frame * cIn)
                for kt in 0..<g.kernel.t {
                    // Output frame t reads input frame t + shift.
                    let shift = kt * g.dilation.t - g.padding.t
                    let lo = max(inputFrames.lowerBound, shift), hi = min(inputFrames.upperBound, g.output.t + shift)
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
    }

    /// Per-worker weight-gradient sums over runs of output frames, added together at the end.
    static func backwardWeights(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
        gradWeights: UnsafeMutablePointer<Float>
    ) {
        let frame = g.output.h * g.output.w, cIn = g.inputChannels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, row = g.kernel.t * cg
        let count = g.weightCount, items = g.batch * g.output.t
        gradWeights.initialize(repeating: 0, count: count)
        let partials = Scratch.perWorker(KernelThreads.workers(items) - 1, count, zeroed: true)
        KernelThreads.forEachSlice(items) { worker, slice in
            let sum = worker == 0 ? gradWeights : partials[worker - 1].pointer
            clipRuns(slice, frames: g.output.t) { n, frames in
                for kt in 0..<g.kernel.t {
                    guard let (reached, firstInput) = reach(g, tap: kt, outputFrames: frames) else { continue }
                    for group in 0..<g.groups {
                        Gemm.multiply(transposeA: true, m: og, n: cg, k: reached.count * frame,
                                      a: gradOutput + (n * g.output.t + reached.lowerBound) * frame * cOut + group * og,
                                      lda: cOut, b: input + (n * g.input.t + firstInput) * frame * cIn + group * cg,
                                      ldb: cIn, beta: 1, c: sum + group * og * row + kt * cg, ldc: row)
                    }
                }
            }
        }
        for part in partials {
            for i in 0..<count { gradWeights[i] += part.pointer[i] }
            part.free()
        }
    }
}
