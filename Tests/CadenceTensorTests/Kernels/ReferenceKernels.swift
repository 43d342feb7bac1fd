import CadenceTensor

/// Plain-loop implementations used as oracles: direct transcriptions of the definitions, no tiling,
/// no vectors, no threads.
enum Reference {
    /// Visits every (output pixel, weight tap, input pixel inside the input) triple of a conv or pool
    /// window: `body(n, outputPixelInImage, tapIndex, inputPixelInImage)`.
    static func windows(
        batch: Int, input: Dims3, output: Dims3, kernel: Dims3, stride: Dims3, padding: Dims3, dilation: Dims3,
        _ body: (Int, Int, Int, Int) -> Void
    ) {
        for n in 0..<batch {
            for to in 0..<output.t { for ho in 0..<output.h { for wo in 0..<output.w {
                let op = (to * output.h + ho) * output.w + wo
                for kt in 0..<kernel.t { for kh in 0..<kernel.h { for kw in 0..<kernel.w {
                    let ti = to * stride.t - padding.t + kt * dilation.t
                    let hi = ho * stride.h - padding.h + kh * dilation.h
                    let wi = wo * stride.w - padding.w + kw * dilation.w
                    guard ti >= 0, ti < input.t, hi >= 0, hi < input.h, wi >= 0, wi < input.w else { continue }
                    body(n, op, (kt * kernel.h + kh) * kernel.w + kw, (ti * input.h + hi) * input.w + wi)
                } } }
            } } }
        }
    }

    static func convForward(_ g: Conv3dGeometry, _ x: [Float], _ w: [Float], _ bias: [Float]?) -> [Float] {
        var y = [Float](repeating: 0, count: g.outputCount)
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, taps = g.kernel.volume
        windows(batch: g.batch, input: g.input, output: g.output, kernel: g.kernel, stride: g.stride,
                padding: g.padding, dilation: g.dilation) { n, op, k, ip in
            for o in 0..<g.outputChannels {
                let group = o / og
                for c in 0..<cg {
                    y[(n * g.output.volume + op) * g.outputChannels + o] +=
                        x[(n * g.input.volume + ip) * g.inputChannels + group * cg + c] * w[(o * taps + k) * cg + c]
                }
            }
        }
        if let bias { for i in y.indices { y[i] += bias[i % g.outputChannels] } }
        return y
    }

    static func convBackwardData(_ g: Conv3dGeometry, _ dy: [Float], _ w: [Float]) -> [Float] {
        var dx = [Float](repeating: 0, count: g.inputCount)
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, taps = g.kernel.volume
        windows(batch: g.batch, input: g.input, output: g.output, kernel: g.kernel, stride: g.stride,
                padding: g.padding, dilation: g.dilation) { n, op, k, ip in
            for o in 0..<g.outputChannels {
                for c in 0..<cg {
                    dx[(n * g.input.volume + ip) * g.inputChannels + (o / og) * cg + c] +=
                        dy[(n * g.output.volume + op) * g.outputChannels + o] * w[(o * taps + k) * cg + c]
                }
            }
        }
        return dx
    }

    static func convBackwardWeights(_ g: Conv3dGeometry, _ x: [Float], _ dy: [Float]) -> [Float] {
        var dw = [Float](repeating: 0, count: g.weightCount)
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup, taps = g.kernel.volume
        windows(batch: g.batch, input: g.input, output: g.output, kernel: g.kernel, stride: g.stride,
                padding: g.padding, dilation: g.dilation) { n, op, k, ip in
            for o in 0..<g.outputChannels {
                for c in 0..<cg {
                    dw[(o * taps + k) * cg + c] += dy[(n * g.output.volume + op) * g.outputChannels + o] *
                        x[(n * g.input.volume + ip) * g.inputChannels + (o / og) * cg + c]
                }
            }
        }
        return dw
    }

    static func maxPool(_ g: Pool3dGeometry, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: -.infinity, count: g.outputCount)
        windows(batch: g.batch, input: g.input, output: g.output, kernel: g.kernel, stride: g.stride,
                padding: g.padding, dilation: g.dilation) { n, op, _, ip in
            for c in 0..<g.channels {
                let o = (n * g.output.volume + op) * g.channels + c
                y[o] = max(y[o], x[(n * g.input.volume + ip) * g.channels + c])
            }
        }
        return y
    }

    /// Average pool; the divisor with padding included is the full kernel volume (floor mode).
    static func avgPool(_ g: Pool3dGeometry, _ x: [Float], countIncludePad: Bool) -> [Float] {
        var y = [Float](repeating: 0, count: g.outputCount)
        var counts = [Float](repeating: 0, count: g.outputCount)
        windows(batch: g.batch, input: g.input, output: g.output, kernel: g.kernel, stride: g.stride,
                padding: g.padding, dilation: g.dilation) { n, op, _, ip in
            for c in 0..<g.channels {
                let o = (n * g.output.volume + op) * g.channels + c
                y[o] += x[(n * g.input.volume + ip) * g.channels + c]
                counts[o] += 1
            }
        }
        for i in y.indices { y[i] /= countIncludePad ? Float(g.kernel.volume) : counts[i] }
        return y
    }

    static func adaptiveAvgPool(_ g: AdaptiveAvgPool3d.Geometry, _ x: [Float]) -> [Float] {
        func bin(_ o: Int, _ i: Int, _ out: Int) -> Range<Int> {
            Int((Double(o * i) / Double(out)).rounded(.down))..<Int((Double((o + 1) * i) / Double(out)).rounded(.up))
        }
        var y = [Float](repeating: 0, count: g.outputCount)
        for n in 0..<g.batch { for to in 0..<g.output.t { for ho in 0..<g.output.h { for wo in 0..<g.output.w {
            let bt = bin(to, g.input.t, g.output.t), bh = bin(ho, g.input.h, g.output.h)
            let bw = bin(wo, g.input.w, g.output.w)
            for c in 0..<g.channels {
                var s: Float = 0
                for t in bt { for h in bh { for w in bw {
                    s += x[(((n * g.input.t + t) * g.input.h + h) * g.input.w + w) * g.channels + c]
                } } }
                y[(((n * g.output.t + to) * g.output.h + ho) * g.output.w + wo) * g.channels + c] =
                    s / Float(bt.count * bh.count * bw.count)
            }
        } } } }
        return y
    }

    /// Batch norm with batch statistics (training) over `[rows, c]`.
    static func batchNormTraining(_ x: [Float], rows: Int, c: Int, gamma: [Float], beta: [Float], eps: Float)
        -> (y: [Float], mean: [Double], variance: [Double]) {
        var mean = [Double](repeating: 0, count: c), variance = mean
        for r in 0..<rows { for ch in 0..<c { mean[ch] += Double(x[r * c + ch]) / Double(rows) } }
        for r in 0..<rows { for ch in 0..<c {
            let d = Double(x[r * c + ch]) - mean[ch]
            variance[ch] += d * d / Double(rows)
        } }
        var y = x
        for r in 0..<rows { for ch in 0..<c {
            y[r * c + ch] = Float((Double(x[r * c + ch]) - mean[ch]) / (variance[ch] + Double(eps)).squareRoot()) *
                gamma[ch] + beta[ch]
        } }
        return (y, mean, variance)
    }

    static func layerNorm(_ x: [Float], rows: Int, dim: Int, gamma: [Float], beta: [Float], eps: Float) -> [Float] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * dim)..<((r + 1) * dim)].map(Double.init)
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            for i in 0..<dim {
                y[r * dim + i] = Float((row[i] - mean) / (variance + Double(eps)).squareRoot()) * gamma[i] + beta[i]
            }
        }
        return y
    }
}
