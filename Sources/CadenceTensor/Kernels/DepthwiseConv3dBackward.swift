/// The depthwise conv's backward passes: the data gradient (the forward kernel with reversed filters at
/// unit stride, a gather per input pixel otherwise) and the weight gradient (whole-row sums in registers).
extension DepthwiseConv3d {
    /// The output positions that read input position `i` along one axis, with the tap index each uses.
    @inline(__always)
    static func readers(
        of i: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, outputs: Int,
        into list: UnsafeMutablePointer<Int>
    ) -> Int {
        var count = 0
        for k in 0..<kernel {
            let numerator = i + padding - k * dilation
            guard numerator >= 0, numerator % stride == 0 else { continue }
            let o = numerator / stride
            guard o < outputs else { continue }
            list[2 * count] = o
            list[2 * count + 1] = k
            count += 1
        }
        return count
    }

    /// `gradInput` (overwritten) from `gradOutput`. With unit stride the data gradient is itself a
    /// depthwise convolution of `gradOutput` with each filter reversed, run by the forward kernel;
    /// other strides gather per input pixel (`gatherBackwardData`).
    static func backwardData(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        guard let transposed = transposedGeometry(g) else {
            gatherBackwardData(g, gradOutput: gradOutput, weights: weights, gradInput: gradInput)
            return
        }
        let taps = g.kernel.volume, c = g.inputChannels
        let flipped = Scratch(taps * c)
        defer { flipped.free() }
        for ch in 0..<c {
            for k in 0..<taps { flipped.pointer[ch * taps + k] = weights[ch * taps + taps - 1 - k] }
        }
        forward(transposed, input: gradOutput, weights: UnsafePointer(flipped.pointer), output: gradInput)
    }

    /// The geometry whose forward pass computes `g`'s data gradient, when `g` has unit stride: input
    /// and output swap, and the padding becomes the rest of each dilated kernel extent. Nil otherwise.
    static func transposedGeometry(_ g: Conv3dGeometry) -> Conv3dGeometry? {
        guard g.stride == Dims3(all: 1) else { return nil }
        let pad = Dims3((g.kernel.t - 1) * g.dilation.t - g.padding.t, (g.kernel.h - 1) * g.dilation.h - g.padding.h,
                        (g.kernel.w - 1) * g.dilation.w - g.padding.w)
        guard pad.t >= 0, pad.h >= 0, pad.w >= 0,
              let t = try? Conv3dGeometry(batch: g.batch, input: g.output, inputChannels: g.inputChannels,
                                          outputChannels: g.outputChannels, kernel: g.kernel, padding: pad,
                                          dilation: g.dilation, groups: g.groups),
              t.output == g.input else { return nil }
        return t
    }

    /// `gradInput` (overwritten) from `gradOutput` for any stride: each input pixel gathers the outputs
    /// that read it, so input frames split over the pool without write conflicts.
    static func gatherBackwardData(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        let packed = tapMajor(g, weights)
        defer { packed.free() }
        let wk = UnsafePointer(packed.pointer)
        let vectors = c >= vectorWidth ? ChannelVectors(channels: c) : nil
        let kT = g.kernel.t, kH = g.kernel.h, kW = g.kernel.w
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        Parallel.forEach(g.batch * iT) { item in
            let n = item / iT, ti = item % iT
            let lists = UnsafeMutablePointer<Int>.allocate(capacity: 2 * (kT + kH + kW) + 2 * kT * kH * kW)
            defer { lists.deallocate() }
            let tList = lists, hList = lists + 2 * kT, wList = hList + 2 * kH, taps = wList + 2 * kW
            let tCount = readers(of: ti, kernel: kT, stride: g.stride.t, padding: g.padding.t,
                                 dilation: g.dilation.t, outputs: oT, into: tList)
            for hi in 0..<iH {
                let hCount = readers(of: hi, kernel: kH, stride: g.stride.h, padding: g.padding.h,
                                     dilation: g.dilation.h, outputs: oH, into: hList)
                for wi in 0..<iW {
                    let wCount = readers(of: wi, kernel: kW, stride: g.stride.w, padding: g.padding.w,
                                         dilation: g.dilation.w, outputs: oW, into: wList)
                    // (output pixel offset, tap offset) pairs, both already scaled by C.
                    var count = 0
                    for a in 0..<tCount {
                        for b in 0..<hCount {
                            for d in 0..<wCount {
                                let pixel = ((n * oT + tList[2 * a]) * oH + hList[2 * b]) * oW + wList[2 * d]
                                let tap = (tList[2 * a + 1] * kH + hList[2 * b + 1]) * kW + wList[2 * d + 1]
                                taps[2 * count] = pixel * c
                                taps[2 * count + 1] = tap * c
                                count += 1
                            }
                        }
                    }
                    let dx = gradInput + (((n * iT + ti) * iH + hi) * iW + wi) * c
                    if let vectors {
                        for c0 in vectors.starts {
                            var acc = FloatVector()
                            for r in 0..<count {
                                acc.addProduct(loadVector(gradOutput + taps[2 * r] + c0), loadVector(wk + taps[2 * r + 1] + c0))
                            }
                            storeVector(acc, dx + c0)
                        }
                    } else {
                        for ch in 0..<c { dx[ch] = 0 }
                        for r in 0..<count {
                            let dy = gradOutput + taps[2 * r], w = wk + taps[2 * r + 1]
                            for ch in 0..<c { dx[ch] += dy[ch] * w[ch] }
                        }
                    }
                }
            }
        }
    }

    /// `gradWeights` (overwritten, conv layout `[C, kT, kH, kW, 1]`): per-worker tap-major sums over
    /// the worker's output frames, added together at the end. For each output row and each input row
    /// it reads, a channel vector's sums over the whole row stay in registers (`rowSums3`, `rowSums`)
    /// and go to memory once per row.
    static func backwardWeights(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
        gradWeights: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, taps = g.kernel.volume
        let kT = g.kernel.t, kH = g.kernel.h, kW = g.kernel.w
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        let items = g.batch * oT
        let workers = KernelThreads.workers(items)
        let sums = Scratch(workers * taps * c, zeroed: true)
        defer { sums.free() }
        let vectors = c >= vectorWidth ? ChannelVectors(channels: c) : nil
        // Full vectors in pairs (two independent sets of accumulators), then the rest one by one.
        let pairCount = (vectors.map { $0.masks.firstIndex { $0 != FloatVector(repeating: 1) } ?? $0.starts.count } ?? 0) / 2
        // The 3-tap, unit-stride, "same"-padded rows of X3D slide one window of inputs along the row.
        let sliding = kW == 3 && g.stride.w == 1 && g.dilation.w == 1 && g.padding.w == 1 && oW == iW
        KernelThreads.forEachSliceInFixedOrder(items) { worker, slice in
            let acc = sums.pointer + worker * taps * c
            for item in slice {
                let n = item / oT, to = item % oT
                for ho in 0..<oH {
                    let dy = gradOutput + (item * oH + ho) * oW * c
                    for kt in 0..<kT {
                        let ti = to * g.stride.t - g.padding.t + kt * g.dilation.t
                        guard ti >= 0, ti < iT else { continue }
                        for kh in 0..<kH {
                            let hi = ho * g.stride.h - g.padding.h + kh * g.dilation.h
                            guard hi >= 0, hi < iH else { continue }
                            let x = input + ((n * iT + ti) * iH + hi) * iW * c
                            let a = acc + (kt * kH + kh) * kW * c
                            guard let vectors else {
                                scalarRowSums(g, x: x, dy: dy, into: a)
                                continue
                            }
                            for (v, c0) in vectors.starts.enumerated() {
                                let paired = v < 2 * pairCount
                                if paired && v % 2 == 1 { continue }
                                if sliding {
                                    if paired {
                                        rowSums3Pair(x + c0, dy + c0, width: oW, channels: c, into: a + c0)
                                    } else {
                                        rowSums3(x + c0, dy + c0, width: oW, channels: c, mask: vectors.masks[v], into: a + c0)
                                    }
                                } else {
                                    rowSums(g, x: x + c0, dy: dy + c0, mask: vectors.masks[v], into: a + c0)
                                    if paired {
                                        let c1 = c0 + vectorWidth
                                        rowSums(g, x: x + c1, dy: dy + c1, mask: vectors.masks[v + 1], into: a + c1)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for ch in 0..<c {
            for k in 0..<taps {
                var total: Float = 0
                for w in 0..<workers { total += sums.pointer[(w * taps + k) * c + ch] }
                gradWeights[ch * taps + k] = total
            }
        }
    }

    /// Adds `Σ_wo dy[wo] * x[wo - 1 + kw]` to `into[kw * channels]` for the three taps kw of one
    /// channel vector, with zeros outside the row: each input column is loaded once.
    @inline(__always)
    static func rowSums3(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, width: Int, channels c: Int, mask: FloatVector,
        into a: UnsafeMutablePointer<Float>
    ) {
        var s0 = FloatVector(), s1 = FloatVector(), s2 = FloatVector()
        var previous = FloatVector(), current = loadVector(x)
        for wo in 0..<width {
            let next = wo + 1 < width ? loadVector(x + (wo + 1) * c) : FloatVector()
            let d = loadVector(dy + wo * c)
            s0.addProduct(d, previous)
            s1.addProduct(d, current)
            s2.addProduct(d, next)
            previous = current
            current = next
        }
        storeVector(loadVector(a).addingProduct(s0, mask), a)
        storeVector(loadVector(a + c).addingProduct(s1, mask), a + c)
        storeVector(loadVector(a + 2 * c).addingProduct(s2, mask), a + 2 * c)
    }

    /// `rowSums3` for two adjacent full channel vectors at once, so six independent sums keep the
    /// FMA units busy.
    @inline(__always)
    static func rowSums3Pair(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, width: Int, channels c: Int,
        into a: UnsafeMutablePointer<Float>
    ) {
        let v = vectorWidth
        var s0 = FloatVector(), s1 = FloatVector(), s2 = FloatVector()
        var t0 = FloatVector(), t1 = FloatVector(), t2 = FloatVector()
        var previous = FloatVector(), current = loadVector(x)
        var previousHi = FloatVector(), currentHi = loadVector(x + v)
        var wo = 0
        while wo + 1 < width {
            let p = x + (wo + 1) * c
            let next = loadVector(p), nextHi = loadVector(p + v)
            let d = dy + wo * c
            let d0 = loadVector(d), d1 = loadVector(d + v)
            s0.addProduct(d0, previous); t0.addProduct(d1, previousHi)
            s1.addProduct(d0, current); t1.addProduct(d1, currentHi)
            s2.addProduct(d0, next); t2.addProduct(d1, nextHi)
            previous = current; current = next
            previousHi = currentHi; currentHi = nextHi
            wo += 1
        }
        // The last column has no right neighbour.
        let d = dy + wo * c
        let d0 = loadVector(d), d1 = loadVector(d + v)
        s0.addProduct(d0, previous); t0.addProduct(d1, previousHi)
        s1.addProduct(d0, current); t1.addProduct(d1, currentHi)
        storeVector(loadVector(a) + s0, a); storeVector(loadVector(a + v) + t0, a + v)
        storeVector(loadVector(a + c) + s1, a + c); storeVector(loadVector(a + c + v) + t1, a + c + v)
        storeVector(loadVector(a + 2 * c) + s2, a + 2 * c); storeVector(loadVector(a + 2 * c + v) + t2, a + 2 * c + v)
    }

    /// Adds `Σ_wo dy[wo] * x[wo * stride - padding + kw * dilation]` to `into[kw * C]` for every tap
    /// kw of one channel vector (any W stride, padding and dilation), over the outputs whose tap
    /// lies inside the row; four sums in flight per tap.
    @inline(__always)
    static func rowSums(
        _ g: Conv3dGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: FloatVector,
        into a: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, sW = g.stride.w, oW = g.output.w, iW = g.input.w
        for kw in 0..<g.kernel.w {
            let shift = kw * g.dilation.w - g.padding.w
            // Outputs wo with 0 <= wo * sW + shift < iW.
            let lo = min(oW, max(0, (-shift + sW - 1) / sW))
            let hi = max(lo, min(oW, iW - shift <= 0 ? 0 : (iW - shift - 1) / sW + 1))
            var s0 = FloatVector(), s1 = FloatVector(), s2 = FloatVector(), s3 = FloatVector()
            var wo = lo
            let xStep = sW * c
            while wo + 4 <= hi {
                let xp = x + (wo * sW + shift) * c, d = dy + wo * c
                s0.addProduct(loadVector(d), loadVector(xp))
                s1.addProduct(loadVector(d + c), loadVector(xp + xStep))
                s2.addProduct(loadVector(d + 2 * c), loadVector(xp + 2 * xStep))
                s3.addProduct(loadVector(d + 3 * c), loadVector(xp + 3 * xStep))
                wo += 4
            }
            while wo < hi {
                s0.addProduct(loadVector(dy + wo * c), loadVector(x + (wo * sW + shift) * c))
                wo += 1
            }
            let p = a + kw * c
            storeVector(loadVector(p).addingProduct((s0 + s1) + (s2 + s3), mask), p)
        }
    }

    /// `rowSums` for channel counts below one vector.
    static func scalarRowSums(
        _ g: Conv3dGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        for wo in 0..<g.output.w {
            for kw in 0..<g.kernel.w {
                let wi = wo * g.stride.w - g.padding.w + kw * g.dilation.w
                guard wi >= 0, wi < g.input.w else { continue }
                let xp = x + wi * c, d = dy + wo * c, p = a + kw * c
                for ch in 0..<c { p[ch] += d[ch] * xp[ch] }
            }
        }
    }
}
