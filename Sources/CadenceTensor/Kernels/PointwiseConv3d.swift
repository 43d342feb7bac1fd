import CKernelSupport

/// Pointwise (1x1x1) convs with few input channels, as X3D's expand and project layers are:
/// `y[p, o] = b[o] + Σ_c x[p, c] * w[o, c]` with a register-blocked kernel instead of BLAS, whose
/// packing and separate `beta = 0` pass over the output cost more than the few multiply-adds per
/// output (`k = C_in`) when `C_in` is small. Blocks of 4 pixels x 3 output vectors stay in registers
/// while the inputs are broadcast. `Conv3d` uses it for ungrouped pointwise forward passes and for
/// their data gradient (the same product with the weights transposed) when `handles` says so.
enum PointwiseConv3d {
    /// Whether the direct kernel should run a `[pixels, cIn] -> [pixels, cOut]` product: narrow
    /// enough that the packed weights stay in L2 and BLAS's overheads dominate.
    static func handles(inputChannels cIn: Int, outputChannels cOut: Int) -> Bool {
        cOut >= vectorWidth && cIn <= 128 && cIn * cOut <= 32768
    }

    /// `output[p, o] = act(bias[o] + Σ_c input[p, c] * weights(o, c) + residual[p, o])` for `pixels` rows, where
    /// `weights(o, c)` is `weights[o * cIn + c]`, or `weights[c * cOut + o]` when `transposed`.
    static func multiply(
        _ input: UnsafePointer<Float>, pixels: Int, inputChannels cIn: Int, outputChannels cOut: Int,
        weights: UnsafePointer<Float>, transposed: Bool = false, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>? = nil, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        // Weights as [C_in, C_out] so one vector load covers consecutive output channels.
        let packed = Scratch(cIn * cOut + cOut)
        defer { packed.free() }
        let wt = packed.pointer, b = packed.pointer + cIn * cOut
        if transposed { wt.update(from: weights, count: cIn * cOut) }
        for o in 0..<cOut {
            if !transposed { for c in 0..<cIn { wt[c * cOut + o] = weights[o * cIn + c] } }
            b[o] = bias?[o] ?? 0
        }
        let vectors = ChannelVectors(channels: cOut)
        let triples = vectors.starts.count / 3
        let tile = 256
        KernelThreads.forEachSlice((pixels + tile - 1) / tile) { _, slice in
            for t in slice {
                let p0 = t * tile, p1 = min(pixels, p0 + tile)
                var p = p0
                while p + 4 <= p1 {
                    if p + 12 <= pixels { prefetchBlock(input + (p + 8) * cIn, cIn) }
                    let r = residual.map { $0 + p * cOut }
                    for q in 0..<triples {
                        block4x3(input + p * cIn, cIn, wt, b, cOut, vectors.starts[3 * q], vectors.starts[3 * q + 1],
                                 vectors.starts[3 * q + 2], r, output + p * cOut)
                    }
                    for s in vectors.starts[(3 * triples)...] {
                        block4x1(input + p * cIn, cIn, wt, b, cOut, s, r, output + p * cOut)
                    }
                    p += 4
                }
                while p < p1 {
                    for s in vectors.starts {
                        var acc = loadVector(b + s)
                        if let residual { acc += loadVector(residual + p * cOut + s) }
                        let x = input + p * cIn
                        for c in 0..<cIn { acc.addProduct(FloatVector(repeating: x[c]), loadVector(wt + c * cOut + s)) }
                        storeVector(acc, output + p * cOut + s)
                    }
                    p += 1
                }
                activation.apply(output + p0 * cOut, count: (p1 - p0) * cOut)
            }
        }
    }

    /// Requests the four input rows of the block two ahead. The input streams from memory (10.8 MB for
    /// X3D-M's res2 project conv) and four rows of 54 channels span 14 lines, which the hardware
    /// prefetcher did not bring in time: with them requested here this conv took 20-30% less time at
    /// 1 thread and 10-20% less at 2 (medians of in-process A/B runs); the expand conv (24>54) was
    /// unchanged.
    @inline(__always)
    static func prefetchBlock(_ x: UnsafePointer<Float>, _ cIn: Int) {
        var offset = 0
        while offset < 4 * cIn {
            cadence_prefetch(x + offset)
            offset += 16
        }
    }

    /// Four pixels (rows of `x`, `cIn` apart) by three output vectors at `s0`, `s1`, `s2`; the sums
    /// start from the bias plus the residual's same four rows `r`, when given.
    @inline(__always)
    static func block4x3(
        _ x: UnsafePointer<Float>, _ cIn: Int, _ wt: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ cOut: Int,
        _ s0: Int, _ s1: Int, _ s2: Int, _ r: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>
    ) {
        let b0 = loadVector(b + s0), b1 = loadVector(b + s1), b2 = loadVector(b + s2)
        var a00 = b0, a01 = b1, a02 = b2, a10 = b0, a11 = b1, a12 = b2
        var a20 = b0, a21 = b1, a22 = b2, a30 = b0, a31 = b1, a32 = b2
        if let r {
            a00 += loadVector(r + s0); a01 += loadVector(r + s1); a02 += loadVector(r + s2)
            a10 += loadVector(r + cOut + s0); a11 += loadVector(r + cOut + s1); a12 += loadVector(r + cOut + s2)
            a20 += loadVector(r + 2 * cOut + s0); a21 += loadVector(r + 2 * cOut + s1); a22 += loadVector(r + 2 * cOut + s2)
            a30 += loadVector(r + 3 * cOut + s0); a31 += loadVector(r + 3 * cOut + s1); a32 += loadVector(r + 3 * cOut + s2)
        }
        let x1 = x + cIn, x2 = x + 2 * cIn, x3 = x + 3 * cIn
        var w = wt
        for c in 0..<cIn {
            let w0 = loadVector(w + s0), w1 = loadVector(w + s1), w2 = loadVector(w + s2)
            var v = FloatVector(repeating: x[c])
            a00.addProduct(v, w0); a01.addProduct(v, w1); a02.addProduct(v, w2)
            v = FloatVector(repeating: x1[c])
            a10.addProduct(v, w0); a11.addProduct(v, w1); a12.addProduct(v, w2)
            v = FloatVector(repeating: x2[c])
            a20.addProduct(v, w0); a21.addProduct(v, w1); a22.addProduct(v, w2)
            v = FloatVector(repeating: x3[c])
            a30.addProduct(v, w0); a31.addProduct(v, w1); a32.addProduct(v, w2)
            w += cOut
        }
        storeVector(a00, y + s0); storeVector(a01, y + s1); storeVector(a02, y + s2)
        storeVector(a10, y + cOut + s0); storeVector(a11, y + cOut + s1); storeVector(a12, y + cOut + s2)
        storeVector(a20, y + 2 * cOut + s0); storeVector(a21, y + 2 * cOut + s1); storeVector(a22, y + 2 * cOut + s2)
        storeVector(a30, y + 3 * cOut + s0); storeVector(a31, y + 3 * cOut + s1); storeVector(a32, y + 3 * cOut + s2)
    }

    /// Four pixels by one output vector at `s` (see `block4x3`).
    @inline(__always)
    static func block4x1(
        _ x: UnsafePointer<Float>, _ cIn: Int, _ wt: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ cOut: Int,
        _ s: Int, _ r: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>
    ) {
        let bias = loadVector(b + s)
        var a0 = bias, a1 = bias, a2 = bias, a3 = bias
        if let r {
            a0 += loadVector(r + s); a1 += loadVector(r + cOut + s)
            a2 += loadVector(r + 2 * cOut + s); a3 += loadVector(r + 3 * cOut + s)
        }
        let x1 = x + cIn, x2 = x + 2 * cIn, x3 = x + 3 * cIn
        for c in 0..<cIn {
            let w = loadVector(wt + c * cOut + s)
            a0.addProduct(FloatVector(repeating: x[c]), w)
            a1.addProduct(FloatVector(repeating: x1[c]), w)
            a2.addProduct(FloatVector(repeating: x2[c]), w)
            a3.addProduct(FloatVector(repeating: x3[c]), w)
        }
        storeVector(a0, y + s)
        storeVector(a1, y + cOut + s)
        storeVector(a2, y + 2 * cOut + s)
        storeVector(a3, y + 3 * cOut + s)
    }
}
