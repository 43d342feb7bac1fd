import CKernelSupport

/// Direct depthwise 3D convolution (`groups == inputChannels == outputChannels`), channels-last.
///
/// Vectorised over channels (`FloatVector`). The forward pass keeps blocks of outputs along W in
/// registers and loops channels inside each W-block: for 3-tap, unit-stride rows (X3D's convs) 8 or 4
/// outputs that load each input column once, blocks at the row's ends reading zeros for the padding;
/// otherwise 4 outputs by 3 vectors with the edge pixels one at a time. Work items are bands of rows
/// swept over the frames, split over the pool; each row prefetches the input rows the next one reads
/// first, and large outputs leave through a row buffer with non-temporal stores. Weights use
/// the conv layout `[C, kT, kH, kW, 1]` and are repacked tap-major per call (a few KiB). Channel counts
/// below one vector take a scalar path.
/// Three geometries go elsewhere first. On x86-64, X3D's own geometry (3x3x3, stride 1, padding 1, rows
/// of 8 or more) goes to `DepthwisePackedBand`, which copies the input channel-blocked first. On every
/// architecture, kernels along T only go to `DepthwiseTemporal` (frames as flat arrays), and 3-tap rows
/// of up to 64 columns at stride 2, and of 4 to 7 outputs at stride 1, go to `DepthwiseStrips`, which
/// sweeps a few frames per channel group (both need at least one vector of channels).
/// The data gradient of a unit-stride conv reuses the forward kernel with reversed filters; the
/// weight gradient sums whole rows in registers (both in `DepthwiseConv3dBackward.swift`). `Conv3d`
/// routes every geometry with `isDepthwise` here; these entry points assume it.
enum DepthwiseConv3d {
    /// Outputs along W kept in registers per block.
    static let block = 4

    /// Weights repacked as `[taps, C]` so one vector load covers consecutive channels of one tap.
    static func tapMajor(_ g: Conv3dGeometry, _ weights: UnsafePointer<Float>) -> Scratch {
        let taps = g.kernel.volume, c = g.inputChannels
        let packed = Scratch(taps * c)
        for ch in 0..<c {
            for k in 0..<taps { packed.pointer[k * c + ch] = weights[ch * taps + k] }
        }
        return packed
    }

    /// `output = act(depthwise(input) + bias)`; see `Conv3d.forward`.
    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>? = nil, activation: Activation = .identity,
        output: UnsafeMutablePointer<Float>
    ) {
        #if arch(x86_64)
        if DepthwisePackedBand.handles(g) {
            DepthwisePackedBand.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                        output: output)
            return
        }
        #endif
        if DepthwiseTemporal.handles(g) {
            DepthwiseTemporal.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                      output: output)
            return
        }
        if DepthwiseStrips.handles(g) {
            DepthwiseStrips.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                    output: output)
            return
        }
        let c = g.inputChannels
        let packed = tapMajor(g, weights)
        defer { packed.free() }
        let wk = UnsafePointer(packed.pointer)
        let zeros = Scratch(c, zeroed: true)
        defer { zeros.free() }
        let biasOrZero = bias ?? UnsafePointer(zeros.pointer)
        let plan = c >= vectorWidth ? ChannelPlan(channels: c) : nil
        let kT = g.kernel.t, kH = g.kernel.h, kW = g.kernel.w
        let sW = g.stride.w, pW = g.padding.w, dW = g.dilation.w
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        // Outputs whose whole W window lies inside the input need no bounds checks.
        let interiorLo = min(oW, (pW + sW - 1) / sW)
        let lastStart = iW - 1 + pW - (kW - 1) * dW
        let interiorHi = max(interiorLo, lastStart < 0 ? 0 : min(oW, lastStart / sW + 1))
        // The common 3-tap, unit-stride rows (padding 0 or 1) load each input column once for all
        // three taps and sweep whole rows in register blocks, edges included.
        let sweepsPaddedRows = kW == 3 && sW == 1 && dW == 1 && pW <= 1 && oW >= block

        // Work items are bands of output rows of one clip, each swept over all output frames: the
        // input rows a band reads for frame t are mostly read again for t + 1 and t + 2, so a band
        // small enough for L2 reads its input from memory about once instead of kT times.
        let rowBytes = iW * c * MemoryLayout<Float>.size
        let rowsFitting = (384 * 1024) / max(1, kT * rowBytes)
        let bandRows = max(1, min(oH, (rowsFitting - (kH - 1) * g.dilation.h - 1) / g.stride.h + 1))
        var bands = (oH + bandRows - 1) / bandRows
        // Enough items to keep every thread busy even for a single clip: more bands, and for frames
        // with few rows, runs of frames too (X3D's 7x7 res5 as 7 one-row bands would split 4:3 over
        // two threads).
        let threads = Parallel.threadCount, wanted = 4 * threads
        if g.batch * bands < wanted { bands = min(oH, (wanted + g.batch - 1) / g.batch) }
        let frameRuns = min(oT, max(1, (wanted + g.batch * bands - 1) / (g.batch * bands)))
        // Large outputs go out through a row buffer (`OutputStreaming`). With the row prefetch, that
        // made X3D-M's forward at 1 thread about 8% faster (median of 8 alternating runs, when all its
        // depthwise convs ran here). `DepthwiseStrips` stores plainly: streaming made its rows 6-10%
        // slower.
        let streamsOutput = plan != nil && OutputStreaming.applies(toFloats: g.outputCount)
        Parallel.forEach(g.batch * bands * frameRuns) { item in
            let n = item / (bands * frameRuns), band = item / frameRuns % bands, run = item % frameRuns
            let hoStart = oH * band / bands, hoEnd = oH * (band + 1) / bands
            let toStart = oT * run / frameRuns, toEnd = oT * (run + 1) / frameRuns
            // Input row offsets (pixel index at w = 0) and weight tap offsets of the valid (kt, kh).
            let rows = UnsafeMutablePointer<Int>.allocate(capacity: 2 * kT * kH)
            defer { rows.deallocate() }
            // Prefetch progress is counted in eighths of an output, so that the sweep can request lines
            // between channel groups, a few at a time: a whole block's lines at once (27 for X3D's res2)
            // made the row 3-22% slower at 1 thread (no difference at 2).
            let eighths = 8
            var prefetch = InputRowPrefetch(input: input, rowFloats: iW * c, outputs: eighths * oW, capacity: kH)
            defer { prefetch.deallocate() }
            let rowBuffer = streamsOutput ? UnsafeMutablePointer<Float>.allocate(capacity: oW * c) : nil
            defer {
                rowBuffer?.deallocate()
                cadence_store_fence()
            }
            for to in toStart..<toEnd { for ho in hoStart..<hoEnd {
                let count = inputRows(g, clip: n, frame: to, row: ho, into: rows)
                // The rows the next output row is first to read: the band's earlier frames are in L2,
                // but the newest frame's rows come from memory, and the hardware prefetcher does not
                // follow nine interleaved row streams. Their lines are requested while this row runs.
                prefetch.reset()
                let nextStartsFrame = ho + 1 == hoEnd
                let nextFrame = nextStartsFrame ? to + 1 : to, nextRow = nextStartsFrame ? hoStart : ho + 1
                let newestFrame = nextFrame * g.stride.t - g.padding.t + (kT - 1) * g.dilation.t
                let lastRowRead = ho * g.stride.h - g.padding.h + (kH - 1) * g.dilation.h
                if nextFrame < toEnd, newestFrame >= 0, newestFrame < iT {
                    for kh in 0..<kH {
                        let hi = nextRow * g.stride.h - g.padding.h + kh * g.dilation.h
                        guard hi >= 0, hi < iH, nextStartsFrame || hi > lastRowRead else { continue }
                        prefetch.add(row: (n * iT + newestFrame) * iH + hi)
                    }
                }
                let destination = output + (((n * oT + to) * oH) + ho) * oW * c
                let out = rowBuffer ?? destination
                func finishRow() {
                    activation.apply(out, count: oW * c)
                    if let rowBuffer { cadence_stream_floats(destination, rowBuffer, oW * c) }
                }
                guard let plan else {
                    for wo in 0..<oW {
                        scalarPixel(input, wk, biasOrZero, rows, count, wo: wo, g: g, out: out + wo * c)
                    }
                    finishRow()
                    continue
                }
                if sweepsPaddedRows {
                    // Blocks of 8, then of 4; a last partial block is moved back to end at the row's
                    // end (recomputing a few outputs). Blocks at either end read zeros for the padding.
                    let pads = pW == 1
                    let groups = plan.pairs.count + plan.pairSingles.count
                    func block8(_ wo: Int) {
                        let left = pads && wo == 0, right = pads && wo + 2 * block == oW
                        for (i, c0) in plan.pairs.enumerated() {
                            prefetch.advance(through: eighths * wo + eighths * 2 * block * (i + 1) / groups)
                            rowReuseBlock2(input, wk, biasOrZero, rows, count, wo: wo, c0: c0, g: g,
                                           leftPad: left, rightPad: false, out: out)
                            rowReuseBlock2(input, wk, biasOrZero, rows, count, wo: wo + block, c0: c0, g: g,
                                           leftPad: false, rightPad: right, out: out)
                        }
                        prefetch.advance(through: eighths * (wo + 2 * block))
                        for c0 in plan.pairSingles {
                            rowReuseBlock(input, wk, biasOrZero, rows, count, wo: wo, c0: c0, width: 8, g: g,
                                           leftPad: left, rightPad: right, out: out)
                        }
                    }
                    func block4(_ wo: Int) {
                        prefetch.advance(through: eighths * (wo + block))
                        let left = pads && wo == 0, right = pads && wo + block == oW
                        for c0 in plan.pairs {
                            rowReuseBlock2(input, wk, biasOrZero, rows, count, wo: wo, c0: c0, g: g,
                                           leftPad: left, rightPad: right, out: out)
                        }
                        for c0 in plan.pairSingles {
                            rowReuseBlock(input, wk, biasOrZero, rows, count, wo: wo, c0: c0, width: 4, g: g,
                                           leftPad: left, rightPad: right, out: out)
                        }
                    }
                    var wo = 0
                    while wo + 2 * block <= oW { block8(wo); wo += 2 * block }
                    if wo + block <= oW { block4(wo); wo += block }
                    if wo < oW { block4(oW - block) }
                    finishRow()
                    continue
                }
                for wo in 0..<interiorLo {
                    edgePixel(input, wk, biasOrZero, rows, count, wo: wo, g: g, plan: plan, out: out + wo * c)
                }
                var wo = interiorLo
                while wo + block <= interiorHi {
                    for c0 in plan.triples {
                        interiorBlock3(input, wk, biasOrZero, rows, count, wo: wo, c0: c0, g: g, out: out)
                    }
                    for c0 in plan.singles {
                        interiorBlock1(input, wk, biasOrZero, rows, count, wo: wo, c0: c0, g: g, out: out)
                    }
                    wo += block
                    prefetch.advance(through: eighths * wo)
                }
                while wo < oW {
                    edgePixel(input, wk, biasOrZero, rows, count, wo: wo, g: g, plan: plan, out: out + wo * c)
                    wo += 1
                }
                prefetch.advance(through: eighths * oW)
                finishRow()
            } }
        }
    }

    /// Lists in `rows` the input rows output row `row` of frame `frame` (of clip `clip`) reads, as pairs:
    /// the pixel index of the row's first column, and the offset of its first tap in the tap-major
    /// weights. Rows outside the input (padding) are left out. Returns the number of pairs (at most
    /// `kT * kH`).
    @inline(__always)
    static func inputRows(
        _ g: Conv3dGeometry, clip: Int, frame: Int, row: Int, into rows: UnsafeMutablePointer<Int>
    ) -> Int {
        var count = 0
        for kt in 0..<g.kernel.t {
            let ti = frame * g.stride.t - g.padding.t + kt * g.dilation.t
            guard ti >= 0, ti < g.input.t else { continue }
            for kh in 0..<g.kernel.h {
                let hi = row * g.stride.h - g.padding.h + kh * g.dilation.h
                guard hi >= 0, hi < g.input.h else { continue }
                rows[2 * count] = ((clip * g.input.t + ti) * g.input.h + hi) * g.input.w
                rows[2 * count + 1] = (kt * g.kernel.h + kh) * g.kernel.w
                count += 1
            }
        }
        return count
    }

    /// The forward pass's channel loop: runs of three adjacent vectors (addressed from one pointer by
    /// constant offsets) and the single vectors left over, including the overlapping last one.
    /// `pairs`/`pairSingles` split the channels the same way for the two-vector blocks.
    struct ChannelPlan {
        let triples: [Int]
        let singles: [Int]
        let pairs: [Int]
        let pairSingles: [Int]

        init(channels: Int) {
            let full = channels / vectorWidth
            func split(_ run: Int) -> ([Int], [Int]) {
                let runs = Array(stride(from: 0, to: full - run + 1, by: run)).map { $0 * vectorWidth }
                var rest = Array(((full / run) * run)..<full).map { $0 * vectorWidth }
                if channels % vectorWidth != 0 { rest.append(channels - vectorWidth) }
                return (runs, rest)
            }
            (triples, singles) = split(3)
            (pairs, pairSingles) = split(2)
        }
    }

    /// `width` (4 or 8) consecutive outputs along W for one channel vector of a 3-tap, unit-stride
    /// kernel row, each input column loaded once (8 accumulators keep both FMA pipes busy).
    /// `leftPad`/`rightPad`: the first/last column the block reads is the zero padding beyond the row
    /// (not loaded). Inlined with a constant `width`, the column loop unrolls and the accumulators
    /// stay in registers.
    @inline(__always)
    static func rowReuseBlock(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, c0: Int, width: Int, g: Conv3dGeometry,
        leftPad: Bool, rightPad: Bool, out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        var acc = EightVectors(loadVector(bias + c0))
        let first = wo - g.padding.w
        for r in 0..<count {
            let p = x + (rows[2 * r] + first) * c + c0
            let wp = wk + rows[2 * r + 1] * c + c0
            let w0 = loadVector(wp), w1 = loadVector(wp + c), w2 = loadVector(wp + 2 * c)
            // Input column j feeds output j - kw through tap kw.
            for j in 0..<(width + 2) {
                let padding = (j == 0 && leftPad) || (j == width + 1 && rightPad)
                let v = padding ? FloatVector() : loadVector(p + j * c)
                if j >= 2 { acc[j - 2].addProduct(v, w2) }
                if j >= 1 && j <= width { acc[j - 1].addProduct(v, w1) }
                if j < width { acc[j].addProduct(v, w0) }
            }
        }
        for k in 0..<width { storeVector(acc[k], out + (wo + k) * c + c0) }
    }

    /// Eight vector accumulators addressed by index; with constant indices (an unrolled loop) they
    /// are eight registers.
    struct EightVectors {
        var a0, a1, a2, a3, a4, a5, a6, a7: FloatVector
        init(_ v: FloatVector) { (a0, a1, a2, a3, a4, a5, a6, a7) = (v, v, v, v, v, v, v, v) }
        @inline(__always) subscript(i: Int) -> FloatVector {
            get {
                switch i {
                case 0: a0
                case 1: a1
                case 2: a2
                case 3: a3
                case 4: a4
                case 5: a5
                case 6: a6
                default: a7
                }
            }
            set {
                switch i {
                case 0: a0 = newValue
                case 1: a1 = newValue
                case 2: a2 = newValue
                case 3: a3 = newValue
                case 4: a4 = newValue
                case 5: a5 = newValue
                case 6: a6 = newValue
                default: a7 = newValue
                }
            }
        }
    }

    /// Four consecutive outputs along W times two channel vectors for a 3-tap, unit-stride kernel
    /// row: each of the six input columns the block reads is loaded once and feeds every tap that
    /// uses it (8 accumulators, 6 weights and 2 inputs fill the 16 vector registers). Pads as in
    /// `rowReuseBlock`.
    @inline(__always)
    static func rowReuseBlock2(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, c0: Int, g: Conv3dGeometry,
        leftPad: Bool, rightPad: Bool, out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, v = vectorWidth
        let b0 = loadVector(bias + c0), b1 = loadVector(bias + c0 + v)
        var a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1
        let first = wo - g.padding.w
        for r in 0..<count {
            let xp = x + (rows[2 * r] + first) * c + c0
            let wp = wk + rows[2 * r + 1] * c + c0
            let w00 = loadVector(wp), w01 = loadVector(wp + v)
            let w10 = loadVector(wp + c), w11 = loadVector(wp + c + v)
            let w20 = loadVector(wp + 2 * c), w21 = loadVector(wp + 2 * c + v)
            // Input column p feeds output p - kw through tap kw.
            var p = xp
            var x0 = leftPad ? FloatVector() : loadVector(p), x1 = leftPad ? FloatVector() : loadVector(p + v)
            a00.addProduct(x0, w00); a01.addProduct(x1, w01)
            p += c
            x0 = loadVector(p); x1 = loadVector(p + v)
            a00.addProduct(x0, w10); a01.addProduct(x1, w11)
            a10.addProduct(x0, w00); a11.addProduct(x1, w01)
            p += c
            x0 = loadVector(p); x1 = loadVector(p + v)
            a00.addProduct(x0, w20); a01.addProduct(x1, w21)
            a10.addProduct(x0, w10); a11.addProduct(x1, w11)
            a20.addProduct(x0, w00); a21.addProduct(x1, w01)
            p += c
            x0 = loadVector(p); x1 = loadVector(p + v)
            a10.addProduct(x0, w20); a11.addProduct(x1, w21)
            a20.addProduct(x0, w10); a21.addProduct(x1, w11)
            a30.addProduct(x0, w00); a31.addProduct(x1, w01)
            p += c
            x0 = loadVector(p); x1 = loadVector(p + v)
            a20.addProduct(x0, w20); a21.addProduct(x1, w21)
            a30.addProduct(x0, w10); a31.addProduct(x1, w11)
            p += c
            x0 = rightPad ? FloatVector() : loadVector(p); x1 = rightPad ? FloatVector() : loadVector(p + v)
            a30.addProduct(x0, w20); a31.addProduct(x1, w21)
        }
        let o = out + wo * c + c0
        storeVector(a00, o); storeVector(a01, o + v)
        storeVector(a10, o + c); storeVector(a11, o + c + v)
        storeVector(a20, o + 2 * c); storeVector(a21, o + 2 * c + v)
        storeVector(a30, o + 3 * c); storeVector(a31, o + 3 * c + v)
    }

    /// Four consecutive outputs along W times three channel vectors (`c0..<c0+3*vectorWidth`), all taps
    /// inside the input: 12 accumulators and 3 weights stay in the 16 vector registers, inputs feed
    /// the FMAs straight from memory, and four row pointers plus constant offsets address them.
    @inline(__always)
    static func interiorBlock3(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, c0: Int, g: Conv3dGeometry,
        out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, kW = g.kernel.w, v = vectorWidth
        let step = g.stride.w * c, tapStep = g.dilation.w * c
        let b0 = loadVector(bias + c0), b1 = loadVector(bias + c0 + v), b2 = loadVector(bias + c0 + 2 * v)
        var a00 = b0, a01 = b1, a02 = b2, a10 = b0, a11 = b1, a12 = b2
        var a20 = b0, a21 = b1, a22 = b2, a30 = b0, a31 = b1, a32 = b2
        let first = wo * g.stride.w - g.padding.w
        for r in 0..<count {
            var xp = x + (rows[2 * r] + first) * c + c0
            var wp = wk + rows[2 * r + 1] * c + c0
            for _ in 0..<kW {
                let w0 = loadVector(wp), w1 = loadVector(wp + v), w2 = loadVector(wp + 2 * v)
                let x1 = xp + step, x2 = xp + 2 * step, x3 = x1 + 2 * step
                a00.addProduct(loadVector(xp), w0)
                a01.addProduct(loadVector(xp + v), w1)
                a02.addProduct(loadVector(xp + 2 * v), w2)
                a10.addProduct(loadVector(x1), w0)
                a11.addProduct(loadVector(x1 + v), w1)
                a12.addProduct(loadVector(x1 + 2 * v), w2)
                a20.addProduct(loadVector(x2), w0)
                a21.addProduct(loadVector(x2 + v), w1)
                a22.addProduct(loadVector(x2 + 2 * v), w2)
                a30.addProduct(loadVector(x3), w0)
                a31.addProduct(loadVector(x3 + v), w1)
                a32.addProduct(loadVector(x3 + 2 * v), w2)
                xp += tapStep
                wp += c
            }
        }
        let o = out + wo * c + c0
        storeVector(a00, o); storeVector(a01, o + v); storeVector(a02, o + 2 * v)
        storeVector(a10, o + c); storeVector(a11, o + c + v); storeVector(a12, o + c + 2 * v)
        storeVector(a20, o + 2 * c); storeVector(a21, o + 2 * c + v); storeVector(a22, o + 2 * c + 2 * v)
        storeVector(a30, o + 3 * c); storeVector(a31, o + 3 * c + v); storeVector(a32, o + 3 * c + 2 * v)
    }

    /// Four consecutive outputs along W for one channel vector, all taps inside the input.
    @inline(__always)
    static func interiorBlock1(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, c0: Int, g: Conv3dGeometry,
        out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, kW = g.kernel.w
        let step = g.stride.w * c, tapStep = g.dilation.w * c
        let b = loadVector(bias + c0)
        var a0 = b, a1 = b, a2 = b, a3 = b
        let first = wo * g.stride.w - g.padding.w
        for r in 0..<count {
            var xp = x + (rows[2 * r] + first) * c + c0
            var wp = wk + rows[2 * r + 1] * c + c0
            for _ in 0..<kW {
                let w = loadVector(wp)
                let x1 = xp + step, x2 = xp + 2 * step, x3 = x1 + 2 * step
                a0.addProduct(loadVector(xp), w)
                a1.addProduct(loadVector(x1), w)
                a2.addProduct(loadVector(x2), w)
                a3.addProduct(loadVector(x3), w)
                xp += tapStep
                wp += c
            }
        }
        let o = out + wo * c + c0
        storeVector(a0, o)
        storeVector(a1, o + c)
        storeVector(a2, o + 2 * c)
        storeVector(a3, o + 3 * c)
    }

    /// One output pixel, any position (taps outside the input skipped): three channel vectors at a
    /// time so their FMA chains overlap.
    @inline(__always)
    static func edgePixel(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, wo: Int, g: Conv3dGeometry, plan: ChannelPlan,
        out: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, v = vectorWidth
        for c0 in plan.triples {
            var a0 = loadVector(bias + c0), a1 = loadVector(bias + c0 + v), a2 = loadVector(bias + c0 + 2 * v)
            for r in 0..<count {
                for kw in 0..<g.kernel.w {
                    let wi = wo * g.stride.w - g.padding.w + kw * g.dilation.w
                    guard wi >= 0, wi < g.input.w else { continue }
                    let xp = x + (rows[2 * r] + wi) * c + c0, wp = wk + (rows[2 * r + 1] + kw) * c + c0
                    a0.addProduct(loadVector(xp), loadVector(wp))
                    a1.addProduct(loadVector(xp + v), loadVector(wp + v))
                    a2.addProduct(loadVector(xp + 2 * v), loadVector(wp + 2 * v))
                }
            }
            storeVector(a0, out + c0)
            storeVector(a1, out + c0 + v)
            storeVector(a2, out + c0 + 2 * v)
        }
        for c0 in plan.singles {
            var acc = loadVector(bias + c0)
            for r in 0..<count {
                for kw in 0..<g.kernel.w {
                    let wi = wo * g.stride.w - g.padding.w + kw * g.dilation.w
                    guard wi >= 0, wi < g.input.w else { continue }
                    acc.addProduct(loadVector(x + (rows[2 * r] + wi) * c + c0), loadVector(wk + (rows[2 * r + 1] + kw) * c + c0))
                }
            }
            storeVector(acc, out + c0)
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
}
