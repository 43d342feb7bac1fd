/// Direct forward convolution for dense convs with very few input channels (an RGB stem such as X3D's
/// and SlowFast's 1x7x7, stride 2, 3 > 64). im2col there copies 21-float runs per kernel row and hands
/// BLAS a short, odd `k` (147), so most of the time goes to copying; here each output pixel block
/// reads the input in place instead.
///
/// Register block: 6 output pixels along W times two vectors of output channels (16 channels, or 32
/// with AVX-512's 16-lane vectors; 12 accumulators), fed per (tap, input channel) by 2 weight vectors
/// and 6 broadcast inputs: 12 FMAs per 8 loads, so the FMA units, not the loads, set the pace. Channels
/// left over take blocks of 12 pixels by one vector, and with 16-lane vectors a last 8 (X3D's stem,
/// 3 > 24) blocks of 12 pixels by 8 lanes; so does SlowFast's fast-pathway stem (3 > 8). Input rows are
/// first copied into zero-padded row buffers, so the block needs no W-edge checks; kernel rows falling
/// in T/H padding are skipped. Output rows are split over the pool.
enum NarrowInputConv3d {
    /// Pixels along W per register block.
    static let blockWidth = 6
    /// Output channels per register block (two vectors).
    static let blockChannels = 2 * vectorWidth
    /// Lanes of the narrowest block, which output channel counts must be a multiple of.
    static let tailChannels = 8
    /// Pixels along W per block of the last single vector of channels.
    static let singleBlockWidth = 12

    /// Whether `forward` handles this geometry: ungrouped, undilated, at most 4 input channels, output
    /// channels a multiple of 8, and output rows of at least one block.
    static func handles(_ g: Conv3dGeometry) -> Bool {
        let widest = g.outputChannels % blockChannels == 0 ? blockWidth : singleBlockWidth
        return g.groups == 1 && g.inputChannels <= 4 && g.outputChannels % tailChannels == 0
            && g.dilation == Dims3(all: 1) && g.output.w >= widest && !g.isPointwise
    }

    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let cIn = g.inputChannels, cOut = g.outputChannels, taps = g.kernel.volume * cIn
        let kRows = g.kernel.t * g.kernel.h, kW = g.kernel.w
        let paddedWidth = (g.output.w - 1) * g.stride.w + kW
        let rowFloats = paddedWidth * cIn
        // Weights `[O, taps]` become `[taps][width]` per block of `width` channels (two vectors, one,
        // or the last 8), the block starting at channel c0 at `c0 * taps`: one block's weights are
        // contiguous.
        let packed = Scratch(taps * cOut)
        defer { packed.free() }
        let pairedChannels = cOut / blockChannels * blockChannels
        let singleChannels = pairedChannels + (cOut - pairedChannels) / vectorWidth * vectorWidth
        for o in 0..<cOut {
            let (c0, width) = o < pairedChannels ? (o / blockChannels * blockChannels, blockChannels)
                : o < singleChannels ? (o - (o - pairedChannels) % vectorWidth, vectorWidth)
                : (singleChannels, tailChannels)
            for j in 0..<taps { packed.pointer[c0 * taps + j * width + o - c0] = weights[o * taps + j] }
        }
        let zeroBias = Scratch(cOut, zeroed: true)
        defer { zeroBias.free() }
        let biasPointer = UnsafePointer(bias ?? UnsafePointer(zeroBias.pointer))
        let outputRows = g.batch * g.output.t * g.output.h
        KernelThreads.forEachSlice(outputRows) { slice in
            let rows = ThreadScratch.floats(kRows * rowFloats, slot: 0)
            var valid = [Int](repeating: 0, count: kRows)
            for r in slice {
                let ho = r % g.output.h, to = (r / g.output.h) % g.output.t, n = r / (g.output.h * g.output.t)
                // Padded copies of the input rows this output row reads; `valid` lists those inside T/H.
                var count = 0
                for kt in 0..<g.kernel.t {
                    let ti = to * g.stride.t - g.padding.t + kt
                    guard ti >= 0 && ti < g.input.t else { continue }
                    for kh in 0..<g.kernel.h {
                        let hi = ho * g.stride.h - g.padding.h + kh
                        guard hi >= 0 && hi < g.input.h else { continue }
                        let k = kt * g.kernel.h + kh
                        padRow(g, input + ((n * g.input.t + ti) * g.input.h + hi) * g.input.w * cIn,
                               into: rows + count * rowFloats, width: paddedWidth)
                        valid[count] = k
                        count += 1
                    }
                }
                let out = output + r * g.output.w * cOut
                valid.withUnsafeBufferPointer { kernelRows in
                    let used = UnsafeBufferPointer(rebasing: kernelRows[0..<count])
                    // Blocks of `width` pixels across the row; the last overlaps the one before rather
                    // than running short.
                    @inline(__always) func sweep(_ width: Int, _ body: (_ start: Int) -> Void) {
                        var wo = 0
                        while wo < g.output.w {
                            body(min(wo, g.output.w - width))
                            wo += width
                        }
                    }
                    for c0 in stride(from: 0, to: pairedChannels, by: blockChannels) {
                        let w = UnsafePointer(packed.pointer) + c0 * taps
                        sweep(blockWidth) { start in
                            block(rows: UnsafePointer(rows), rowFloats: rowFloats, kernelRows: used,
                                  kW: kW, cIn: cIn, stride: g.stride.w, firstPixel: start, weights: w,
                                  bias: biasPointer + c0, output: out + start * cOut + c0, cOut: cOut)
                        }
                    }
                    @inline(__always) func singles<V: SIMD>(_ lanes: V.Type, from: Int, to: Int)
                    where V.Scalar == Float {
                        for c0 in stride(from: from, to: to, by: V.scalarCount) {
                            let w = UnsafePointer(packed.pointer) + c0 * taps
                            sweep(singleBlockWidth) { start in
                                singleBlock(V.self, rows: UnsafePointer(rows), rowFloats: rowFloats,
                                            kernelRows: used, kW: kW, cIn: cIn, stride: g.stride.w,
                                            firstPixel: start, weights: w, bias: biasPointer + c0,
                                            output: out + start * cOut + c0, cOut: cOut)
                            }
                        }
                    }
                    singles(FloatVector.self, from: pairedChannels, to: singleChannels)
                    singles(SIMD8<Float>.self, from: singleChannels, to: cOut)
                }
                activation.apply(out, count: g.output.w * cOut)
            }
        }
    }

    /// Copies one input row into `paddedWidth` pixels with `padding.w` zero pixels before it and zeros
    /// after it.
    @inline(__always)
    static func padRow(_ g: Conv3dGeometry, _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                       width paddedWidth: Int) {
        let cIn = g.inputChannels, left = min(g.padding.w, paddedWidth)
        let copied = max(0, min(g.input.w, paddedWidth - left))
        dst.update(repeating: 0, count: left * cIn)
        (dst + left * cIn).update(from: src, count: copied * cIn)
        let tail = paddedWidth - left - copied
        if tail > 0 { (dst + (left + copied) * cIn).update(repeating: 0, count: tail * cIn) }
    }

    /// Six output pixels by 16 channels: `bias` plus every valid kernel row's taps, stored to `output`.
    @inline(__always)
    static func block(
        rows: UnsafePointer<Float>, rowFloats: Int, kernelRows: UnsafeBufferPointer<Int>, kW: Int, cIn: Int,
        stride: Int, firstPixel: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, cOut: Int
    ) {
        let b0 = loadVector(bias), b1 = loadVector(bias + vectorWidth)
        var a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1
        var a30 = b0, a31 = b1, a40 = b0, a41 = b1, a50 = b0, a51 = b1
        let step = stride * cIn, tapsPerRow = kW * cIn
        for (i, k) in kernelRows.enumerated() {
            var x = rows + i * rowFloats + firstPixel * step
            var w = weights + k * tapsPerRow * blockChannels
            for _ in 0..<tapsPerRow {
                let w0 = loadVector(w), w1 = loadVector(w + vectorWidth)
                var v = FloatVector(repeating: x[0])
                a00.addProduct(v, w0); a01.addProduct(v, w1)
                v = FloatVector(repeating: x[step])
                a10.addProduct(v, w0); a11.addProduct(v, w1)
                v = FloatVector(repeating: x[2 * step])
                a20.addProduct(v, w0); a21.addProduct(v, w1)
                v = FloatVector(repeating: x[3 * step])
                a30.addProduct(v, w0); a31.addProduct(v, w1)
                v = FloatVector(repeating: x[4 * step])
                a40.addProduct(v, w0); a41.addProduct(v, w1)
                v = FloatVector(repeating: x[5 * step])
                a50.addProduct(v, w0); a51.addProduct(v, w1)
                // Taps run (kw, ci) in order, which is consecutive floats of the padded row.
                x += 1
                w += blockChannels
            }
        }
        storeVector(a00, output); storeVector(a01, output + vectorWidth)
        storeVector(a10, output + cOut); storeVector(a11, output + cOut + vectorWidth)
        storeVector(a20, output + 2 * cOut); storeVector(a21, output + 2 * cOut + vectorWidth)
        storeVector(a30, output + 3 * cOut); storeVector(a31, output + 3 * cOut + vectorWidth)
        storeVector(a40, output + 4 * cOut); storeVector(a41, output + 4 * cOut + vectorWidth)
        storeVector(a50, output + 5 * cOut); storeVector(a51, output + 5 * cOut + vectorWidth)
    }

    /// Twelve output pixels by one vector `V` of channels: `block` for a single vector, with twice the
    /// pixels so 12 accumulators still hide the FMA latency.
    @inline(__always)
    static func singleBlock<V: SIMD>(
        _: V.Type, rows: UnsafePointer<Float>, rowFloats: Int, kernelRows: UnsafeBufferPointer<Int>, kW: Int,
        cIn: Int, stride: Int, firstPixel: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, cOut: Int
    ) where V.Scalar == Float {
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        }
        let b = load(bias)
        var a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b, a10 = b, a11 = b
        let step = stride * cIn, tapsPerRow = kW * cIn
        for (i, k) in kernelRows.enumerated() {
            var x = rows + i * rowFloats + firstPixel * step
            var w = weights + k * tapsPerRow * V.scalarCount
            for _ in 0..<tapsPerRow {
                let wv = load(w)
                a0.addProduct(V(repeating: x[0]), wv)
                a1.addProduct(V(repeating: x[step]), wv)
                a2.addProduct(V(repeating: x[2 * step]), wv)
                a3.addProduct(V(repeating: x[3 * step]), wv)
                a4.addProduct(V(repeating: x[4 * step]), wv)
                a5.addProduct(V(repeating: x[5 * step]), wv)
                a6.addProduct(V(repeating: x[6 * step]), wv)
                a7.addProduct(V(repeating: x[7 * step]), wv)
                a8.addProduct(V(repeating: x[8 * step]), wv)
                a9.addProduct(V(repeating: x[9 * step]), wv)
                a10.addProduct(V(repeating: x[10 * step]), wv)
                a11.addProduct(V(repeating: x[11 * step]), wv)
                x += 1
                w += V.scalarCount
            }
        }
        store(a0, output); store(a1, output + cOut); store(a2, output + 2 * cOut)
        store(a3, output + 3 * cOut); store(a4, output + 4 * cOut); store(a5, output + 5 * cOut)
        store(a6, output + 6 * cOut); store(a7, output + 7 * cOut); store(a8, output + 8 * cOut)
        store(a9, output + 9 * cOut); store(a10, output + 10 * cOut); store(a11, output + 11 * cOut)
    }
}
