/// 3D average pooling, channels-last, with PyTorch's divisor rule: by default padded positions count
/// (`count_include_pad=True`: the window clipped to the padded input); with `countIncludePad` false,
/// only positions inside the input count.
public enum AvgPool3d {
    /// Visits the window of each output pixel in output frames `frames` (indices `n * oT + t`):
    /// `body(outputPixel, divisor, inputPixels, count)`, input pixel indices over the whole batch.
    @inline(__always)
    static func windows(
        _ g: Pool3dGeometry, frames: Range<Int>, countIncludePad: Bool,
        _ body: (_ pixel: Int, _ divisor: Float, _ inputs: UnsafeMutablePointer<Int>, _ count: Int) -> Void
    ) {
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        let list = UnsafeMutablePointer<Int>.allocate(capacity: g.kernel.volume)
        defer { list.deallocate() }
        for item in frames {
              let n = item / oT, to = item % oT
              let t0 = to * g.stride.t - g.padding.t
              let t1 = min(t0 + g.kernel.t, iT + g.padding.t)
              for ho in 0..<oH {
                  let h0 = ho * g.stride.h - g.padding.h
                  let h1 = min(h0 + g.kernel.h, iH + g.padding.h)
                  for wo in 0..<oW {
                      let w0 = wo * g.stride.w - g.padding.w
                      let w1 = min(w0 + g.kernel.w, iW + g.padding.w)
                      var count = 0
                      for ti in max(t0, 0)..<min(t1, iT) {
                          for hi in max(h0, 0)..<min(h1, iH) {
                              for wi in max(w0, 0)..<min(w1, iW) {
                                  list[count] = ((n * iT + ti) * iH + hi) * iW + wi
                                  count += 1
                              }
                          }
                      }
                      let divisor = countIncludePad ? Float((t1 - t0) * (h1 - h0) * (w1 - w0)) : Float(count)
                      body((item * oH + ho) * oW + wo, divisor, list, count)
                  }
              }
        }
    }

    /// `output` from `input`. Throws if `g` has a dilation other than 1 (PyTorch has none either).
    public static func forward(
        _ g: Pool3dGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        countIncludePad: Bool = true
    ) throws {
        try checkNoDilation(g)
        let c = g.channels
        Parallel.forEach(g.batch * g.output.t) { frame in
            windows(g, frames: frame..<(frame + 1), countIncludePad: countIncludePad) { pixel, divisor, inputs, count in
                let out = output + pixel * c
                for ch in 0..<c { out[ch] = 0 }
                for i in 0..<count {
                    let src = input + inputs[i] * c
                    for ch in 0..<c { out[ch] += src[ch] }
                }
                let scale = 1 / divisor
                for ch in 0..<c { out[ch] *= scale }
            }
        }
    }

    /// `gradInput` (overwritten) from `gradOutput`.
    public static func backward(
        _ g: Pool3dGeometry, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
        countIncludePad: Bool = true
    ) throws {
        try checkNoDilation(g)
        let c = g.channels
        // Windows overlap across output frames, so workers scatter whole images.
        let oT = g.output.t, imageSize = g.input.volume * c
        Parallel.forEach(g.batch) { n in
            (gradInput + n * imageSize).initialize(repeating: 0, count: imageSize)
            windows(g, frames: (n * oT)..<((n + 1) * oT), countIncludePad: countIncludePad) { pixel, divisor, inputs, count in
                let dy = gradOutput + pixel * c
                let scale = 1 / divisor
                for i in 0..<count {
                    let dst = gradInput + inputs[i] * c
                    for ch in 0..<c { dst[ch] += dy[ch] * scale }
                }
            }
        }
    }

    static func checkNoDilation(_ g: Pool3dGeometry) throws {
        if g.dilation != Dims3(all: 1) {
            throw KernelError.unsupported(kernel: "avg_pool3d", reason: "dilation \(g.dilation) is not supported")
        }
    }
}
