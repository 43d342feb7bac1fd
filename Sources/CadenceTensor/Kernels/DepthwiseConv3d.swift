/// Direct depthwise 3D convolution (`groups == inputChannels == outputChannels`), channels-last.
///
/// Vectorised over channels with 16-float vectors; the forward pass keeps a block of 8 outputs along
/// W in registers so each weight load feeds 8 FMAs, loops channels inside each W-block, and splits
/// the batch's output frames over the pool. Weights use the conv layout `[C, kT, kH, kW, 1]` and are
/// repacked tap-major per call (a few KiB). Channel counts below 16 take a scalar path.
public enum DepthwiseConv3d {
    /// Outputs along W kept in registers per block.
    static let block = 8

    /// Weights repacked as `[taps, C]` so one vector load covers 16 channels of one tap.
    static func tapMajor(_ g: Conv3dGeometry, _ weights: UnsafePointer<Float>) -> Scratch {
        let taps = g.kernel.volume, c = g.inputChannels
        let packed = Scratch(taps * c)
        for ch in 0..<c {
            for k in 0..<taps { packed.pointer[k * c + ch] = weights[ch * taps + k] }
        }
        return packed
    }

    /// `output = act(depthwise(input) + bias)`; see `Conv3d.forward`.
    public static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>? = nil, activation: Activation = .identity,
        output: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        let packed = tapMajor(g, weights)
        defer { packed.free() }
        let wk = UnsafePointer(packed.pointer)
        let zeros = Scratch(c, zeroed: true)
        defer { zeros.free() }
        let biasOrZero = bias ?? UnsafePointer(zeros.pointer)
        let vectors = c >= 16 ? ChannelVectors(channels: c) : nil
        let kT = g.kernel.t, kH = g.kernel.h, kW = g.kernel.w
        let sW = g.stride.w, pW = g.padding.w, dW = g.dilation.w
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        // Outputs whose whole W window lies inside the input need no bounds checks.
        let interiorLo = min(oW, (pW + sW - 1) / sW)
        let lastStart = iW - 1 + pW - (kW - 1) * dW
        let interiorHi = max(interiorLo, lastStart < 0 ? 0 : min(oW, lastStart / sW + 1))

        Parallel.forEach(g.batch * oT) { item in
            let n = item / oT, to = item % oT
            // Input row offsets (pixel index at w = 0) and weight tap offsets of the valid (kt, kh).
            let rows = UnsafeMutablePointer<Int>.allocate(capacity: 2 * kT * kH)
            defer { rows.deallocate() }
            for ho in 0..<oH {
                var count = 0
                for kt in 0..<kT {
                    let ti = to * g.stride.t - g.padding.t + kt * g.dilation.t
                    guard ti >= 0, ti < iT else { continue }
                    for kh in 0..<kH {
                        let hi = ho * g.stride.h - g.padding.h + kh * g.dilation.h
                        guard hi >= 0, hi < iH else { continue }
                        rows[2 * count] = ((n * iT + ti) * iH + hi) * iW
                        rows[2 * count + 1] = (kt * kH + kh) * kW
                        count += 1
                    }
                }
                let out = output + ((item * oH) + ho) * oW * c
                guard let vectors else {
                    for wo in 0..<oW {
                        scalarPixel(input, wk, biasOrZero, rows, count, wo: wo, g: g, out: out + wo * c)
                    }
                    activation.apply(out, count: oW * c)
                    continue
                }
                for wo in 0..<interiorLo {
                    vectorPixel(input, wk, biasOrZero, rows, count, wo: wo, g: g, vectors: vectors, out: out + wo * c)
                }
                var wo = interiorLo
                while wo + block <= interiorHi {
                    for c0 in vectors.starts {
                        interiorBlock(input, wk, biasOrZero, rows, count, wo: wo, c0: c0, g: g, out: out)
                    }
                    wo += block
                }
                while wo < oW {
                    vectorPixel(input, wk, biasOrZero, rows, count, wo: wo, g: g, vectors: vectors, out: out + wo * c)
                    wo += 1
                }
                activation.apply(out, count: oW * c)
            }
        }
    }

    /// Eight consecutive outputs along W for channels `c0..<c0+16`, all taps inside the input.
    @inline(__always)
    static func interiorBlock(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, c0: Int, g: Conv3dGeometry,
        out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, kW = g.kernel.w
        let step = g.stride.w * c, tapStep = g.dilation.w * c
        let b = load16(bias + c0)
        var a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b
        let first = wo * g.stride.w - g.padding.w
        for r in 0..<count {
            var xp = x + (rows[2 * r] + first) * c + c0
            var wp = wk + rows[2 * r + 1] * c + c0
            for _ in 0..<kW {
                let w = load16(wp)
                a0.addProduct(load16(xp), w)
                a1.addProduct(load16(xp + step), w)
                a2.addProduct(load16(xp + 2 * step), w)
                a3.addProduct(load16(xp + 3 * step), w)
                a4.addProduct(load16(xp + 4 * step), w)
                a5.addProduct(load16(xp + 5 * step), w)
                a6.addProduct(load16(xp + 6 * step), w)
                a7.addProduct(load16(xp + 7 * step), w)
                xp += tapStep
                wp += c
            }
        }
        let o = out + wo * c + c0
        store16(a0, o)
        store16(a1, o + c)
        store16(a2, o + 2 * c)
        store16(a3, o + 3 * c)
        store16(a4, o + 4 * c)
        store16(a5, o + 5 * c)
        store16(a6, o + 6 * c)
        store16(a7, o + 7 * c)
    }

    /// One output pixel, any position (taps outside the input skipped), vectorised over channels.
    @inline(__always)
    static func vectorPixel(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, g: Conv3dGeometry, vectors: ChannelVectors,
        out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        for c0 in vectors.starts {
            var acc = load16(bias + c0)
            for r in 0..<count {
                for kw in 0..<g.kernel.w {
                    let wi = wo * g.stride.w - g.padding.w + kw * g.dilation.w
                    guard wi >= 0, wi < g.input.w else { continue }
                    acc.addProduct(load16(x + (rows[2 * r] + wi) * c + c0), load16(wk + (rows[2 * r + 1] + kw) * c + c0))
                }
            }
            store16(acc, out + c0)
        }
    }

    /// One output pixel for channel counts below one vector.
    static func scalarPixel(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, g: Conv3dGeometry,
        out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        for ch in 0..<c { out[ch] = bias[ch] }
        for r in 0..<count {
            for kw in 0..<g.kernel.w {
                let wi = wo * g.stride.w - g.padding.w + kw * g.dilation.w
                guard wi >= 0, wi < g.input.w else { continue }
                let xp = x + (rows[2 * r] + wi) * c, wp = wk + (rows[2 * r + 1] + kw) * c
                for ch in 0..<c { out[ch] += xp[ch] * wp[ch] }
            }
        }
    }

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

    /// `gradInput` (overwritten) from `gradOutput`: each input pixel gathers the outputs that read it,
    /// so input frames split over the pool without write conflicts.
    public static func backwardData(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        let packed = tapMajor(g, weights)
        defer { packed.free() }
        let wk = UnsafePointer(packed.pointer)
        let vectors = c >= 16 ? ChannelVectors(channels: c) : nil
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
                            var acc = SIMD16<Float>()
                            for r in 0..<count {
                                acc.addProduct(load16(gradOutput + taps[2 * r] + c0), load16(wk + taps[2 * r + 1] + c0))
                            }
                            store16(acc, dx + c0)
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
    /// the worker's output frames, added together at the end.
    public static func backwardWeights(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
        gradWeights: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, taps = g.kernel.volume
        let vectors = c >= 16 ? ChannelVectors(channels: c) : nil
        let kT = g.kernel.t, kH = g.kernel.h, kW = g.kernel.w
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        let items = g.batch * oT
        let workers = KernelThreads.workers(items)
        let sums = Scratch(workers * taps * c, zeroed: true)
        defer { sums.free() }
        KernelThreads.forEachSlice(items) { worker, slice in
            let acc = sums.pointer + worker * taps * c
            let list = UnsafeMutablePointer<Int>.allocate(capacity: 2 * taps)
            defer { list.deallocate() }
            for item in slice {
                let n = item / oT, to = item % oT
                for ho in 0..<oH {
                    for wo in 0..<oW {
                        // (input pixel offset, tap offset) pairs inside the input, scaled by C.
                        var count = 0
                        for kt in 0..<kT {
                            let ti = to * g.stride.t - g.padding.t + kt * g.dilation.t
                            guard ti >= 0, ti < iT else { continue }
                            for kh in 0..<kH {
                                let hi = ho * g.stride.h - g.padding.h + kh * g.dilation.h
                                guard hi >= 0, hi < iH else { continue }
                                for kw in 0..<kW {
                                    let wi = wo * g.stride.w - g.padding.w + kw * g.dilation.w
                                    guard wi >= 0, wi < iW else { continue }
                                    list[2 * count] = (((n * iT + ti) * iH + hi) * iW + wi) * c
                                    list[2 * count + 1] = ((kt * kH + kh) * kW + kw) * c
                                    count += 1
                                }
                            }
                        }
                        let dy = gradOutput + (((item * oH) + ho) * oW + wo) * c
                        if let vectors {
                            for (v, c0) in vectors.starts.enumerated() {
                                let d = load16(dy + c0) * vectors.masks[v]
                                for r in 0..<count {
                                    let a = acc + list[2 * r + 1] + c0
                                    store16(load16(a).addingProduct(d, load16(input + list[2 * r] + c0)), a)
                                }
                            }
                        } else {
                            for r in 0..<count {
                                let a = acc + list[2 * r + 1], xp = input + list[2 * r]
                                for ch in 0..<c { a[ch] += dy[ch] * xp[ch] }
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
}
