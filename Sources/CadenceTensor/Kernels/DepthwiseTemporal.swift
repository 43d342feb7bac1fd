import CKernelSupport

/// The depthwise forward for kernels along T only (`kH == kW == 1`, unit stride and no padding along H
/// and W): X3D's stem conv of 5 frames. Each output frame is a per-channel weighted sum of whole input
/// frames, so frames are treated as flat arrays of floats. A channel's weight repeats every `C` floats;
/// over `lcm(C, vectorWidth)` floats (3 vectors for 24 channels) the lane patterns repeat, so weights
/// and bias are laid out once over that period and every vector is full. In the row sweep of
/// `DepthwiseConv3d` 24 channels took 32 lanes and each row repeated its weight loads.
///
/// Work items are bands of a few thousand floats at the same place in every frame, swept over the
/// output frames (split into runs of frames where there are too few bands for the threads): a band's
/// input frames stay in L1 and L2 while the next output frames reuse them, so each input float is read
/// from memory once. (Bands of 1K to 64K floats ran alike.)
enum DepthwiseTemporal {
    /// Whether `forward` takes this depthwise geometry.
    static func handles(_ g: Conv3dGeometry) -> Bool {
        g.kernel.h == 1 && g.kernel.w == 1 && g.stride.h == 1 && g.stride.w == 1 && g.padding.h == 0
            && g.padding.w == 0
    }

    /// Floats of a band, before rounding to whole periods: 16 KiB of each of the frames it reads.
    static let bandFloats = 4096

    /// `output = act(depthwise(input) + bias)` for a geometry `handles` accepts; `weights` in the conv
    /// layout `[C, kT, 1, 1, 1]`.
    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, kT = g.kernel.t, vw = vectorWidth
        let iT = g.input.t, oT = g.output.t
        let frameFloats = g.input.h * g.input.w * c
        // The period of the lane patterns, and the weights and bias laid out over it: `[kT][period]`.
        let period = c / gcd(c, vw) * vw
        let table = Scratch((kT + 1) * period)
        defer { table.free() }
        let tapTable = table.pointer, biasTable = table.pointer + kT * period
        for j in 0..<period {
            let ch = j % c
            for k in 0..<kT { tapTable[k * period + j] = weights[ch * kT + k] }
            biasTable[j] = bias?[ch] ?? 0
        }
        // Bands of whole groups of four periods (see `sweep`), so every band starts at lane pattern 0.
        let band = max(1, bandFloats / (4 * period)) * 4 * period
        let bands = (frameFloats + band - 1) / band
        // Large outputs leave through a band buffer with non-temporal stores, as in the row sweep and
        // the packed bands: X3D's stem conv took 1.28-1.34 ms instead of 1.75-1.93 at 1 thread.
        let streamsOutput = OutputStreaming.applies(toFloats: g.outputCount)
        // Small frames make few bands: runs of output frames then give every thread work.
        let wanted = 4 * Parallel.threadCount
        let runs = g.batch * bands >= wanted ? 1 : min(oT, (wanted + g.batch * bands - 1) / (g.batch * bands))
        Parallel.forEach(g.batch * bands * runs) { item in
            let n = item / (bands * runs), b = item / runs % bands, run = item % runs
            let start = b * band, count = min(band, frameFloats - start)
            let clipIn = input + n * iT * frameFloats + start, clipOut = output + n * oT * frameFloats + start
            let frames = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: kT)
            let taps = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: kT)
            let buffer = streamsOutput ? UnsafeMutablePointer<Float>.allocate(capacity: band) : nil
            defer {
                frames.deallocate()
                taps.deallocate()
                buffer?.deallocate()
                cadence_store_fence()
            }
            for to in (oT * run / runs)..<(oT * (run + 1) / runs) {
                var used = 0
                for k in 0..<kT {
                    let ti = to * g.stride.t - g.padding.t + k * g.dilation.t
                    guard ti >= 0, ti < iT else { continue }
                    frames[used] = clipIn + ti * frameFloats
                    taps[used] = UnsafePointer(tapTable + k * period)
                    used += 1
                }
                let destination = clipOut + to * frameFloats, out = buffer ?? destination
                sweep(frames, taps, used, count: count, period: period, bias: UnsafePointer(biasTable), out: out)
                activation.apply(out, count: count)
                if let buffer { cadence_stream_floats(destination, buffer, count) }
            }
        }
    }

    /// `out[i] = bias[i % period] + Σ_r frames[r][i] * taps[r][i % period]` for `i < count`; `count`
    /// floats from the start of a period.
    @inline(__always)
    static func sweep(
        _ frames: UnsafeMutablePointer<UnsafePointer<Float>>, _ taps: UnsafeMutablePointer<UnsafePointer<Float>>,
        _ used: Int, count: Int, period: Int, bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        let vw = vectorWidth
        var i = 0, phase = 0
        // Four periods at a time: the four vectors at one phase share their weights, loaded once (with
        // 8-lane vectors, loading them for every vector made the sweep slower than the row sweep).
        while i + 4 * period <= count {
            for p in stride(from: 0, to: period, by: vw) {
                let b = loadVector(bias + p)
                var a0 = b, a1 = b, a2 = b, a3 = b
                for r in 0..<used {
                    let w = loadVector(taps[r] + p), x = frames[r] + i + p
                    a0.addProduct(loadVector(x), w)
                    a1.addProduct(loadVector(x + period), w)
                    a2.addProduct(loadVector(x + 2 * period), w)
                    a3.addProduct(loadVector(x + 3 * period), w)
                }
                let o = out + i + p
                storeVector(a0, o)
                storeVector(a1, o + period)
                storeVector(a2, o + 2 * period)
                storeVector(a3, o + 3 * period)
            }
            i += 4 * period
        }
        while i + vw <= count {
            var acc = loadVector(bias + phase)
            for r in 0..<used { acc.addProduct(loadVector(frames[r] + i), loadVector(taps[r] + phase)) }
            storeVector(acc, out + i)
            i += vw
            phase += vw
            if phase == period { phase = 0 }
        }
        while i < count {
            var sum = bias[phase]
            for r in 0..<used { sum += frames[r][i] * taps[r][phase] }
            out[i] = sum
            i += 1
            phase += 1
        }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
