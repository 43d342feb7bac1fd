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

    public static func forward(_ g: Geometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let c = g.channels
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
