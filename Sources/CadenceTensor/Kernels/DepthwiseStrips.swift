/// The depthwise forward for rows of 3 taps along W at stride 2 (X3D's first block of each stage, which
/// halves H and W, from res3 on), and at stride 1 where the rows are too short for `DepthwisePackedBand`
/// (X3D's 7x7 and 5x5 res5 frames); any kernel, stride and padding along T and H.
///
/// The row-at-a-time sweep of `DepthwiseConv3d` loads every input row an output row reads, all
/// channels, from L2 into L1 again for each output row and frame that reads it (4.5 times at stride 2
/// for 3x3x3, 9 times at stride 1), and at stride 2 or on short rows little work is done per load: it
/// was bound by that traffic. Here a work item is a run of output frames, taken one output row at a
/// time with the channel loop outermost: one group of channel vectors is computed for every frame of
/// the run before the next group, so the strips of input rows it reads (a few KiB each, the group's
/// channels only) stay in L1 from one frame to the next. Blocks of 4 outputs load each input column
/// once (9 columns for 12 FMAs at stride 2, 6 at stride 1), and the blocks at the row's ends read zeros
/// for the padding.
enum DepthwiseStrips {
    /// Whether `forward` takes this depthwise geometry (`DepthwiseConv3d.forward` offers it to
    /// `DepthwisePackedBand` first).
    static func handles(_ g: Conv3dGeometry) -> Bool {
        g.kernel.w == 3 && (g.stride.w == 2 || g.stride.w == 1 && g.output.w < DepthwisePackedBand.minimumWidth)
            && g.dilation.w == 1 && g.padding.w <= 1 && g.output.w >= DepthwiseConv3d.block
            && g.input.w <= maximumInputWidth && g.inputChannels >= vectorWidth
    }

    /// Wider rows stay with the row sweep. X3D-M's res2 first block (112 columns, 54 channels, its 43 MB
    /// input read from memory) ran slower here at 1 thread: 4.3-4.9 ms against 4.1-4.5 with 16-lane
    /// vectors, and 6.3-6.6 against 4.2-4.3 with 8-lane ones, whose groups cover a third of a pixel's
    /// 216 bytes. At 56 columns and below (C108 to C432) the strips won in both widths.
    static let maximumInputWidth = 64

    /// Output frames a work item sweeps per channel group. With 4, X3D-M's C108 16x56x56 row ran 5-10%
    /// faster than with all 16 frames (its strips for 6 input frames stay in L2), and the 14x14 and 28x28
    /// rows the same.
    static let framesPerRun = 4

    /// `output = act(depthwise(input) + bias)` for a geometry `handles` accepts; `weights` in the conv
    /// layout `[C, kT, kH, 3, 1]`.
    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels, block = DepthwiseConv3d.block
        let packed = DepthwiseConv3d.tapMajor(g, weights)
        defer { packed.free() }
        let wk = UnsafePointer(packed.pointer)
        let zeros = Scratch(c, zeroed: true)
        defer { zeros.free() }
        let biasOrZero = bias ?? UnsafePointer(zeros.pointer)
        let plan = DepthwiseConv3d.ChannelPlan(channels: c)
        let kT = g.kernel.t, kH = g.kernel.h
        let iW = g.input.w
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        let sW = g.stride.w, pW = g.padding.w
        // Work items: runs of frames, split further into bands of rows until every thread has a few.
        let runs = (oT + framesPerRun - 1) / framesPerRun
        let wanted = 4 * Parallel.threadCount
        let bands = g.batch * runs >= wanted ? 1 : min(oH, (wanted + g.batch * runs - 1) / (g.batch * runs))
        Parallel.forEach(g.batch * runs * bands) { item in
            let n = item / (runs * bands), run = item / bands % runs, band = item % bands
            let toStart = oT * run / runs, toEnd = oT * (run + 1) / runs
            let hoStart = oH * band / bands, hoEnd = oH * (band + 1) / bands
            // Per frame of the run: the input row offsets (pixel index at w = 0) and weight tap offsets
            // of the valid (kt, kh).
            let rowsPerFrame = 2 * kT * kH
            let rows = UnsafeMutablePointer<Int>.allocate(capacity: rowsPerFrame * (toEnd - toStart))
            defer { rows.deallocate() }
            var counts = [Int](repeating: 0, count: toEnd - toStart)
            func outputRow(_ to: Int, _ ho: Int) -> UnsafeMutablePointer<Float> {
                output + ((n * oT + to) * oH + ho) * oW * c
            }
            for ho in hoStart..<hoEnd {
                for to in toStart..<toEnd {
                    counts[to - toStart] = DepthwiseConv3d.inputRows(g, clip: n, frame: to, row: ho,
                                                                     into: rows + (to - toStart) * rowsPerFrame)
                }
                func sweep(_ c0: Int, pair: Bool) {
                    for to in toStart..<toEnd {
                        let list = rows + (to - toStart) * rowsPerFrame, count = counts[to - toStart]
                        let out = outputRow(to, ho)
                        // A last partial block moves back to end at the row's end (recomputing a few).
                        var wo = 0
                        while wo < oW {
                            let start = min(wo, oW - block)
                            let first = sW * start - pW, last = first + sW * (block - 1) + 2
                            let left = first < 0, right = last >= iW
                            switch (sW, pair) {
                            case (2, true):
                                strideTwoBlock2(input, wk, biasOrZero, list, count, first: first, wo: start,
                                                c0: c0, c: c, leftPad: left, rightPad: right, out: out)
                            case (2, false):
                                strideTwoBlock1(input, wk, biasOrZero, list, count, first: first, wo: start,
                                                c0: c0, c: c, leftPad: left, rightPad: right, out: out)
                            case (_, true):
                                DepthwiseConv3d.rowReuseBlock2(input, wk, biasOrZero, list, count, wo: start,
                                                               c0: c0, g: g, leftPad: left, rightPad: right, out: out)
                            default:
                                DepthwiseConv3d.rowReuseBlock(input, wk, biasOrZero, list, count, wo: start, c0: c0,
                                                              width: block, g: g, leftPad: left, rightPad: right,
                                                              out: out)
                            }
                            wo += block
                        }
                    }
                }
                for c0 in plan.pairs { sweep(c0, pair: true) }
                for c0 in plan.pairSingles { sweep(c0, pair: false) }
                for to in toStart..<toEnd {
                    activation.apply(outputRow(to, ho), count: oW * c)
                }
            }
        }
    }

    /// Four consecutive outputs along W times two channel vectors at stride 2: input column `2k + kw` (from the
    /// block's first) feeds output `k` through tap `kw`, so the even columns feed two outputs and the odd
    /// ones one. 8 accumulators, 6 weights and 2 inputs fill AVX2's 16 vector registers.
    /// `first`: the input column of the block's first read; `leftPad`/`rightPad`: the first/last of the
    /// 9 columns is the zero padding beyond the row (not loaded).
    @inline(__always)
    static func strideTwoBlock2(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, first: Int, wo: Int, c0: Int, c: Int,
        leftPad: Bool, rightPad: Bool, out: UnsafeMutablePointer<Float>
    ) {
        let v = vectorWidth
        let b0 = loadVector(bias + c0), b1 = loadVector(bias + c0 + v)
        var a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1
        for r in 0..<count {
            let p = x + (rows[2 * r] + first) * c + c0
            let wp = wk + rows[2 * r + 1] * c + c0
            let w00 = loadVector(wp), w01 = loadVector(wp + v)
            let w10 = loadVector(wp + c), w11 = loadVector(wp + c + v)
            let w20 = loadVector(wp + 2 * c), w21 = loadVector(wp + 2 * c + v)
            @inline(__always) func column(_ j: Int) -> (FloatVector, FloatVector) {
                (loadVector(p + j * c), loadVector(p + j * c + v))
            }
            var (x0, x1) = leftPad ? (FloatVector(), FloatVector()) : column(0)
            a00.addProduct(x0, w00); a01.addProduct(x1, w01)
            (x0, x1) = column(1)
            a00.addProduct(x0, w10); a01.addProduct(x1, w11)
            (x0, x1) = column(2)
            a00.addProduct(x0, w20); a01.addProduct(x1, w21)
            a10.addProduct(x0, w00); a11.addProduct(x1, w01)
            (x0, x1) = column(3)
            a10.addProduct(x0, w10); a11.addProduct(x1, w11)
            (x0, x1) = column(4)
            a10.addProduct(x0, w20); a11.addProduct(x1, w21)
            a20.addProduct(x0, w00); a21.addProduct(x1, w01)
            (x0, x1) = column(5)
            a20.addProduct(x0, w10); a21.addProduct(x1, w11)
            (x0, x1) = column(6)
            a20.addProduct(x0, w20); a21.addProduct(x1, w21)
            a30.addProduct(x0, w00); a31.addProduct(x1, w01)
            (x0, x1) = column(7)
            a30.addProduct(x0, w10); a31.addProduct(x1, w11)
            (x0, x1) = rightPad ? (FloatVector(), FloatVector()) : column(8)
            a30.addProduct(x0, w20); a31.addProduct(x1, w21)
        }
        let o = out + wo * c + c0
        storeVector(a00, o); storeVector(a01, o + v)
        storeVector(a10, o + c); storeVector(a11, o + c + v)
        storeVector(a20, o + 2 * c); storeVector(a21, o + 2 * c + v)
        storeVector(a30, o + 3 * c); storeVector(a31, o + 3 * c + v)
    }

    /// `strideTwoBlock2` for one channel vector.
    @inline(__always)
    static func strideTwoBlock1(
        _ x: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ rows: UnsafeMutablePointer<Int>, _ count: Int, first: Int, wo: Int, c0: Int, c: Int,
        leftPad: Bool, rightPad: Bool, out: UnsafeMutablePointer<Float>
    ) {
        let b = loadVector(bias + c0)
        var a0 = b, a1 = b, a2 = b, a3 = b
        for r in 0..<count {
            let p = x + (rows[2 * r] + first) * c + c0
            let wp = wk + rows[2 * r + 1] * c + c0
            let w0 = loadVector(wp), w1 = loadVector(wp + c), w2 = loadVector(wp + 2 * c)
            var x0 = leftPad ? FloatVector() : loadVector(p)
            a0.addProduct(x0, w0)
            a0.addProduct(loadVector(p + c), w1)
            x0 = loadVector(p + 2 * c)
            a0.addProduct(x0, w2); a1.addProduct(x0, w0)
            a1.addProduct(loadVector(p + 3 * c), w1)
            x0 = loadVector(p + 4 * c)
            a1.addProduct(x0, w2); a2.addProduct(x0, w0)
            a2.addProduct(loadVector(p + 5 * c), w1)
            x0 = loadVector(p + 6 * c)
            a2.addProduct(x0, w2); a3.addProduct(x0, w0)
            a3.addProduct(loadVector(p + 7 * c), w1)
            x0 = rightPad ? FloatVector() : loadVector(p + 8 * c)
            a3.addProduct(x0, w2)
        }
        let o = out + wo * c + c0
        storeVector(a0, o)
        storeVector(a1, o + c)
        storeVector(a2, o + 2 * c)
        storeVector(a3, o + 3 * c)
    }
}
