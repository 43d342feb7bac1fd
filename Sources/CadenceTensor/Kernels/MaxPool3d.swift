/// 3D max pooling, channels-last. The forward pass records, per output element, the input pixel
/// (index within its batch item, `(t * H + h) * W + w`) that held the maximum, for the backward pass.
public enum MaxPool3d {
    /// `output` and `indices` (both `outputCount` long) from `input`. Padding never wins.
    public static func forward(
        _ g: Pool3dGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        indices: UnsafeMutablePointer<Int32>
    ) {
        let c = g.channels
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        Parallel.forEach(g.batch * oT) { item in
            let n = item / oT, to = item % oT
            let image = input + n * g.input.volume * c
            for ho in 0..<oH {
                for wo in 0..<oW {
                    let out = output + ((item * oH + ho) * oW + wo) * c
                    let idx = indices + ((item * oH + ho) * oW + wo) * c
                    for ch in 0..<c { out[ch] = -.infinity; idx[ch] = -1 }
                    for kt in 0..<g.kernel.t {
                        let ti = to * g.stride.t - g.padding.t + kt * g.dilation.t
                        guard ti >= 0, ti < iT else { continue }
                        for kh in 0..<g.kernel.h {
                            let hi = ho * g.stride.h - g.padding.h + kh * g.dilation.h
                            guard hi >= 0, hi < iH else { continue }
                            for kw in 0..<g.kernel.w {
                                let wi = wo * g.stride.w - g.padding.w + kw * g.dilation.w
                                guard wi >= 0, wi < iW else { continue }
                                let pixel = (ti * iH + hi) * iW + wi
                                let src = image + pixel * c
                                for ch in 0..<c where src[ch] > out[ch] || idx[ch] < 0 || src[ch].isNaN {
                                    out[ch] = src[ch]
                                    idx[ch] = Int32(pixel)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `gradInput` (overwritten): each output gradient goes to the input pixel that won.
    public static func backward(
        _ g: Pool3dGeometry, gradOutput: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        let c = g.channels, perImageOut = g.output.volume, perImageIn = g.input.volume
        // Windows of one image overlap, so workers own whole images.
        Parallel.forEach(g.batch) { n in
            let dx = gradInput + n * perImageIn * c
            dx.initialize(repeating: 0, count: perImageIn * c)
            for p in (n * perImageOut)..<((n + 1) * perImageOut) {
                let dy = gradOutput + p * c, idx = indices + p * c
                for ch in 0..<c where idx[ch] >= 0 { dx[Int(idx[ch]) * c + ch] += dy[ch] }
            }
        }
    }
}
