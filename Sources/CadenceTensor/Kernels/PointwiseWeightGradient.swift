/// The weight gradient of an ungrouped pointwise (1x1x1) conv with narrow channel counts:
/// `gradWeights[o, c] = Σ_p gradOutput[p, o] * input[p, c]` over every pixel p.
///
/// BLAS runs this as a GEMM whose inner dimension is the pixel count: with X3D's widths (tens to a few
/// hundred channels) it spends much of its time packing both tall operands. Here each worker sweeps
/// tiles of pixels; for a block of 3 output-channel vectors by 4 input channels, 12 sums stay in
/// registers over the tile, fed by 3 vector loads of `gradOutput` and 4 broadcasts of `input` per
/// pixel. Sums are kept transposed (`[C_in, C_out]`, vectors along output channels) and per worker,
/// then added and transposed once at the end.
enum PointwiseWeightGradient {
    /// Pixels per tile: few enough that the tile's rows of both operands (16 KiB) stay in L1 while
    /// every block sweeps them. (Tiles sized for L2 left the FMAs waiting on loads: X3D's 54 > 24
    /// gradient ran at 23 GFLOP/s with 256-pixel tiles, 48-51 with 32-64.)
    static func tile(inputChannels cIn: Int, outputChannels cOut: Int) -> Int {
        max(16, min(256, 4096 / (cIn + cOut)))
    }

    /// Whether this kernel should run for `cIn -> cOut`: at least one vector of output channels, and
    /// few enough weights that BLAS's packing of the tall operands would cost a noticeable share.
    static func handles(inputChannels cIn: Int, outputChannels cOut: Int) -> Bool {
        cOut >= vectorWidth && cIn * cOut <= 1 << 15
    }

    /// Overwrites `gradWeights` (`[cOut, cIn]`) with `Σ_p gradOutput[p, o] * input[p, c]`.
    static func compute(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, pixels: Int,
        inputChannels cIn: Int, outputChannels cOut: Int, gradWeights: UnsafeMutablePointer<Float>
    ) {
        let vectors = ChannelVectors(channels: cOut)
        let triples = vectors.starts.count / 3
        let tile = tile(inputChannels: cIn, outputChannels: cOut)
        let tiles = (pixels + tile - 1) / tile
        let workers = KernelThreads.workers(tiles)
        let size = cIn * cOut
        let sums = Scratch(workers * size, zeroed: true)
        defer { sums.free() }
        KernelThreads.forEachSliceInFixedOrder(tiles) { worker, slice in
            let t = sums.pointer + worker * size
            for tileIndex in slice {
                let p0 = tileIndex * tile, count = min(tile, pixels - p0)
                let xs = x + p0 * cIn, dys = dy + p0 * cOut
                var c = 0
                while c + 4 <= cIn {
                    for q in 0..<triples {
                        let v = 3 * q
                        block3x4(xs + c, cIn, dys, cOut, count, vectors, v, t + c * cOut)
                    }
                    for v in (3 * triples)..<vectors.starts.count {
                        block1x4(xs + c, cIn, dys, cOut, count, vectors, v, t + c * cOut)
                    }
                    c += 4
                }
                while c < cIn {
                    for v in 0..<vectors.starts.count {
                        let s = vectors.starts[v]
                        var a0 = FloatVector(), a1 = FloatVector()
                        var p = 0
                        while p + 2 <= count {
                            a0.addProduct(loadVector(dys + p * cOut + s), FloatVector(repeating: xs[p * cIn + c]))
                            a1.addProduct(loadVector(dys + (p + 1) * cOut + s), FloatVector(repeating: xs[(p + 1) * cIn + c]))
                            p += 2
                        }
                        if p < count { a0.addProduct(loadVector(dys + p * cOut + s), FloatVector(repeating: xs[p * cIn + c])) }
                        let out = t + c * cOut + s
                        storeVector(loadVector(out).addingProduct(a0 + a1, vectors.masks[v]), out)
                    }
                    c += 1
                }
            }
        }
        for o in 0..<cOut {
            for c in 0..<cIn {
                var total: Float = 0
                for w in 0..<workers { total += sums.pointer[w * size + c * cOut + o] }
                gradWeights[o * cIn + c] = total
            }
        }
    }

    /// Sums for output vectors `v, v+1, v+2` by input channels `c..<c+4` (`x` points at channel c of
    /// the tile's first pixel) over `count` pixels, added into `t` (`[4, cOut]` from channel c).
    @inline(__always)
    static func block3x4(
        _ x: UnsafePointer<Float>, _ cIn: Int, _ dy: UnsafePointer<Float>, _ cOut: Int, _ count: Int,
        _ vectors: ChannelVectors, _ v: Int, _ t: UnsafeMutablePointer<Float>
    ) {
        let s0 = vectors.starts[v], s1 = vectors.starts[v + 1], s2 = vectors.starts[v + 2]
        var a00 = FloatVector(), a01 = FloatVector(), a02 = FloatVector()
        var a10 = FloatVector(), a11 = FloatVector(), a12 = FloatVector()
        var a20 = FloatVector(), a21 = FloatVector(), a22 = FloatVector()
        var a30 = FloatVector(), a31 = FloatVector(), a32 = FloatVector()
        var xp = x, dp = dy
        for _ in 0..<count {
            let d0 = loadVector(dp + s0), d1 = loadVector(dp + s1), d2 = loadVector(dp + s2)
            var b = FloatVector(repeating: xp[0])
            a00.addProduct(d0, b); a01.addProduct(d1, b); a02.addProduct(d2, b)
            b = FloatVector(repeating: xp[1])
            a10.addProduct(d0, b); a11.addProduct(d1, b); a12.addProduct(d2, b)
            b = FloatVector(repeating: xp[2])
            a20.addProduct(d0, b); a21.addProduct(d1, b); a22.addProduct(d2, b)
            b = FloatVector(repeating: xp[3])
            a30.addProduct(d0, b); a31.addProduct(d1, b); a32.addProduct(d2, b)
            xp += cIn
            dp += cOut
        }
        let m0 = vectors.masks[v], m1 = vectors.masks[v + 1], m2 = vectors.masks[v + 2]
        @inline(__always) func add(_ a: FloatVector, _ mask: FloatVector, _ p: UnsafeMutablePointer<Float>) {
            storeVector(loadVector(p).addingProduct(a, mask), p)
        }
        add(a00, m0, t + s0); add(a01, m1, t + s1); add(a02, m2, t + s2)
        add(a10, m0, t + cOut + s0); add(a11, m1, t + cOut + s1); add(a12, m2, t + cOut + s2)
        add(a20, m0, t + 2 * cOut + s0); add(a21, m1, t + 2 * cOut + s1); add(a22, m2, t + 2 * cOut + s2)
        add(a30, m0, t + 3 * cOut + s0); add(a31, m1, t + 3 * cOut + s1); add(a32, m2, t + 3 * cOut + s2)
    }

    /// `block3x4` for one output vector `v`.
    @inline(__always)
    static func block1x4(
        _ x: UnsafePointer<Float>, _ cIn: Int, _ dy: UnsafePointer<Float>, _ cOut: Int, _ count: Int,
        _ vectors: ChannelVectors, _ v: Int, _ t: UnsafeMutablePointer<Float>
    ) {
        let s = vectors.starts[v], mask = vectors.masks[v]
        var a0 = FloatVector(), a1 = FloatVector(), a2 = FloatVector(), a3 = FloatVector()
        var xp = x, dp = dy + s
        for _ in 0..<count {
            let d = loadVector(dp)
            a0.addProduct(d, FloatVector(repeating: xp[0]))
            a1.addProduct(d, FloatVector(repeating: xp[1]))
            a2.addProduct(d, FloatVector(repeating: xp[2]))
            a3.addProduct(d, FloatVector(repeating: xp[3]))
            xp += cIn
            dp += cOut
        }
        storeVector(loadVector(t + s).addingProduct(a0, mask), t + s)
        storeVector(loadVector(t + cOut + s).addingProduct(a1, mask), t + cOut + s)
        storeVector(loadVector(t + 2 * cOut + s).addingProduct(a2, mask), t + 2 * cOut + s)
        storeVector(loadVector(t + 3 * cOut + s).addingProduct(a3, mask), t + 3 * cOut + s)
    }
}
