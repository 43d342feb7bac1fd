/// Adaptive 3D average pooling, channels-last, with PyTorch's bins: output index `o` of an axis of
/// `I` inputs and `O` outputs averages inputs `floor(o * I / O) ..< ceil((o + 1) * I / O)`.
public enum AdaptiveAvgPool3d {
    /// Input `[batch, input, channels]` and output `[batch, output, channels]` extents.
    public struct Geometry: Sendable, Hashable {
        public let batch: Int
        public let input: Dims3
        public let channels: Int
        public let output: Dims3

        public init(batch: Int, input: Dims3, channels: Int, output: Dims3) throws {
            for (field, v) in [("batch", batch), ("channels", channels), ("input T", input.t), ("input H", input.h),
                               ("input W", input.w), ("output T", output.t), ("output H", output.h),
                               ("output W", output.w)] where v <= 0 {
                throw KernelError.nonPositive(kernel: "adaptive_avg_pool3d", field: field, value: v)
            }
            self.batch = batch
            self.input = input
            self.channels = channels
            self.output = output
        }

        public var inputCount: Int { batch * input.volume * channels }
        public var outputCount: Int { batch * output.volume * channels }
    }

    @inline(__always)
    static func bin(_ o: Int, inputs: Int, outputs: Int) -> Range<Int> {
        (o * inputs / outputs)..<(((o + 1) * inputs + outputs - 1) / outputs)
    }

    /// Calls `body(outputPixel, inputRangeT, inputRangeH, inputRangeW)` for output frames `frames`.
    @inline(__always)
    static func bins(_ g: Geometry, frames: Range<Int>, _ body: (Int, Int, Range<Int>, Range<Int>, Range<Int>) -> Void) {
        for item in frames {
            let n = item / g.output.t, to = item % g.output.t
            let rt = bin(to, inputs: g.input.t, outputs: g.output.t)
            for ho in 0..<g.output.h {
                let rh = bin(ho, inputs: g.input.h, outputs: g.output.h)
                for wo in 0..<g.output.w {
                    body(n, (item * g.output.h + ho) * g.output.w + wo, rt, rh,
                         bin(wo, inputs: g.input.w, outputs: g.output.w))
                }
            }
        }
    }

    /// Pixel ranges a global pool splits each clip into, summed in parallel and then in order: a
    /// fixed count, so the result does not depend on the number of threads.
    static let globalParts = 8

    public static func forward(_ g: Geometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let c = g.channels
        // A global pool (squeeze-excitation, heads) has one output pixel per clip: split its pixels
        // instead, or one core would sum the whole activation alone.
        if g.output == Dims3(all: 1) && g.input.volume >= globalParts {
            globalForward(g, input: input, output: output)
            return
        }
        Parallel.forEach(g.batch * g.output.t) { frame in
            bins(g, frames: frame..<(frame + 1)) { n, pixel, rt, rh, rw in
                let out = output + pixel * c
                for ch in 0..<c { out[ch] = 0 }
                for ti in rt {
                    for hi in rh {
                        for wi in rw {
                            let src = input + (((n * g.input.t + ti) * g.input.h + hi) * g.input.w + wi) * c
                            for ch in 0..<c { out[ch] += src[ch] }
                        }
                    }
                }
                let scale = 1 / Float(rt.count * rh.count * rw.count)
                for ch in 0..<c { out[ch] *= scale }
            }
        }
    }

    /// `output[n, c]` = mean over all pixels of clip `n`, as `globalParts` partial sums per clip.
    static func globalForward(_ g: Geometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let c = g.channels, pixels = g.input.volume, parts = globalParts
        let partial = Scratch(g.batch * parts * c)
        defer { partial.free() }
        Parallel.forEach(g.batch * parts) { item in
            let n = item / parts, part = item % parts
            let sum = partial.pointer + item * c
            sum.initialize(repeating: 0, count: c)
            for pixel in (pixels * part / parts)..<(pixels * (part + 1) / parts) {
                let src = input + (n * pixels + pixel) * c
                for ch in 0..<c { sum[ch] += src[ch] }
            }
        }
        let scale = 1 / Float(pixels)
        for n in 0..<g.batch {
            let out = output + n * c
            out.update(from: partial.pointer + n * parts * c, count: c)
            for part in 1..<parts {
                let sum = partial.pointer + (n * parts + part) * c
                for ch in 0..<c { out[ch] += sum[ch] }
            }
            for ch in 0..<c { out[ch] *= scale }
        }
    }

    /// `gradInput` (overwritten) from `gradOutput`.
    public static func backward(_ g: Geometry, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        let c = g.channels, imageSize = g.input.volume * c
        // Bins may overlap when the input does not divide evenly, so workers scatter whole images.
        Parallel.forEach(g.batch) { n in
            (gradInput + n * imageSize).initialize(repeating: 0, count: imageSize)
            bins(g, frames: (n * g.output.t)..<((n + 1) * g.output.t)) { n, pixel, rt, rh, rw in
                let dy = gradOutput + pixel * c
                let scale = 1 / Float(rt.count * rh.count * rw.count)
                for ti in rt {
                    for hi in rh {
                        for wi in rw {
                            let dst = gradInput + (((n * g.input.t + ti) * g.input.h + hi) * g.input.w + wi) * c
                            for ch in 0..<c { dst[ch] += dy[ch] * scale }
                        }
                    }
                }
            }
        }
    }
}
