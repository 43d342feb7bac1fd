/// Dense and grouped 3D convolution over channels-last activations (see `Conv3dGeometry` for layouts).
///
/// Pointwise convs are plain GEMMs over pixels (narrow ones through `PointwiseConv3d` and
/// `PointwiseWeightGradient`), temporal-only convs `(kT, 1, 1)` one GEMM per
/// tap (`TemporalConv3d`), and forward convs over a few input channels run direct
/// (`NarrowInputConv3d`), spatial 3x3 and temporal 3-tap convs by Winograd's minimal filtering
/// (`WinogradConv3d`, `TemporalWinogradConv3d`). Others build an im2col block for a tile of output
/// pixels at a time (so scratch memory stays bounded whatever the clip size) and multiply it by the
/// weights with BLAS. Depthwise geometries go to `DepthwiseConv3d`. Work is spread over the shared pool
/// with BLAS single-threaded inside it.
public enum Conv3d {
    /// Floats of im2col scratch each thread may hold (2 MiB).
    static let scratchBudget = 1 << 19

    /// Output pixels per tile: enough rows for an efficient GEMM, few enough for the scratch budget.
    static func tilePixels(_ g: Conv3dGeometry) -> Int {
        if g.isPointwise { return 1024 }
        let row = g.kernel.volume * g.inputChannelsPerGroup
        return max(16, min(512, scratchBudget / max(row, 1)))
    }

    /// Tiles of at most `tilePixels(g)` covering `pixels`, as many as a multiple of the pool's threads
    /// and of equal size, so no core idles through the last round of tiles.
    static func balancedTile(_ g: Conv3dGeometry, pixels: Int) -> Int {
        let threads = max(1, Parallel.threadCount), most = tilePixels(g)
        let rounds = (pixels + most * threads - 1) / (most * threads)
        let tiles = rounds * threads
        return max(1, (pixels + tiles - 1) / tiles)
    }

    /// `output = act(conv(input, weights) + bias + residual)`. `bias` has `outputChannels` floats or
    /// is nil; `residual`, when given, has the output's size (a residual block's shortcut). The 1x1x1
    /// paths add it in their epilogue, while the output tile is in cache; other paths in one pass after.
    public static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil,
        activation: Activation = .identity, output: UnsafeMutablePointer<Float>
    ) {
        if let residual, !g.isPointwise {
            forward(g, input: input, weights: weights, bias: bias, output: output)
            addResidual(residual, to: output, count: g.batch * g.output.volume * g.outputChannels,
                        activation: activation)
            return
        }
        if g.isDepthwise {
            DepthwiseConv3d.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                    output: output)
            return
        }
        if TemporalWinogradConv3d.handles(g) {
            TemporalWinogradConv3d.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                           output: output)
            return
        }
        if g.isTemporalOnly {
            TemporalConv3d.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                   output: output)
            return
        }
        if g.isPointwise && g.groups == 1
            && PointwiseConv3d.handles(inputChannels: g.inputChannels, outputChannels: g.outputChannels) {
            PointwiseConv3d.multiply(input, pixels: g.outputPixels, inputChannels: g.inputChannels,
                                     outputChannels: g.outputChannels, weights: weights, bias: bias,
                                     residual: residual, activation: activation, output: output)
            return
        }
        if WinogradConv3d.handles(g) {
            WinogradConv3d.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                   output: output)
            return
        }
        if StemWinogradConv3d.handles(g) {
            StemWinogradConv3d.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                       output: output)
            return
        }
        if NarrowInputConv3d.handles(g) {
            NarrowInputConv3d.forward(g, input: input, weights: weights, bias: bias, activation: activation,
                                      output: output)
            return
        }
        let pixels = g.outputPixels, tile = balancedTile(g, pixels: pixels)
        let cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup
        let row = g.kernel.volume * cg
        let tiles = (pixels + tile - 1) / tile
        let colFloats = g.isPointwise ? 0 : tile * row
        if tiles == 1 && g.groups == 1 {
            // A few pixels (X3D's head on the pooled clip): one product, split over the pool, whose
            // threads read the caller's columns and take no scratch of their own.
            let columns = ThreadScratch.floats(colFloats, slot: 0)
            let (a, lda) = groupColumns(g, input, group: 0, firstPixel: 0, pixels: pixels, scratch: columns)
            let accumulates = bias != nil || residual != nil
            if accumulates { startTile(output, rows: pixels, channels: cOut, bias: bias, residual: residual) }
            Gemm.multiplyOnPool(transposeB: true, m: pixels, n: og, k: row, a: a, lda: lda,
                                b: weights, ldb: row, beta: accumulates ? 1 : 0, c: output, ldc: cOut)
            activation.apply(output, count: pixels * cOut)
            return
        }
        KernelThreads.forEachSlice(tiles) { slice in
            let col = ThreadScratch.floats(colFloats, slot: 0)
            for t in slice {
                let p0 = t * tile, rows = min(tile, pixels - p0)
                // The tile starts as bias + residual and the products accumulate onto it: one pass
                // over the tile instead of BLAS zeroing it and a second pass adding them.
                let accumulates = bias != nil || residual != nil
                if accumulates {
                    startTile(output + p0 * cOut, rows: rows, channels: cOut, bias: bias,
                              residual: residual.map { $0 + p0 * cOut })
                }
                for group in 0..<g.groups {
                    let (a, lda) = groupColumns(g, input, group: group, firstPixel: p0, pixels: rows, scratch: col)
                    Gemm.multiply(transposeB: true, m: rows, n: og, k: row, a: a, lda: lda,
                                  b: weights + group * og * row, ldb: row, beta: accumulates ? 1 : 0,
                                  c: output + p0 * cOut + group * og, ldc: cOut)
                }
                activation.apply(output + p0 * cOut, count: rows * cOut)
            }
        }
    }

    /// `gradInput = d loss / d input` from `gradOutput`; overwrites `gradInput`.
    public static func backwardData(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        if g.isDepthwise {
            DepthwiseConv3d.backwardData(g, gradOutput: gradOutput, weights: weights, gradInput: gradInput)
            return
        }
        if TemporalWinogradConv3d.handles(g) {
            TemporalWinogradConv3d.backwardData(g, gradOutput: gradOutput, weights: weights, gradInput: gradInput)
            return
        }
        if g.isTemporalOnly {
            TemporalConv3d.backwardData(g, gradOutput: gradOutput, weights: weights, gradInput: gradInput)
            return
        }
        if WinogradConv3d.handles(g) {
            WinogradConv3d.backwardData(g, gradOutput: gradOutput, weights: weights, gradInput: gradInput)
            return
        }
        let cIn = g.inputChannels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup
        let row = g.kernel.volume * cg
        let tile = tilePixels(g)
        if g.isPointwise && g.groups == 1
            && PointwiseConv3d.handles(inputChannels: g.outputChannels, outputChannels: g.inputChannels) {
            // dx = dy W: weights [O, C] are already the transposed [C_in', C_out'] of this product.
            PointwiseConv3d.multiply(gradOutput, pixels: g.outputPixels, inputChannels: g.outputChannels,
                                     outputChannels: g.inputChannels, weights: weights, transposed: true,
                                     bias: nil, activation: .identity, output: gradInput)
            return
        }
        if g.isPointwise {
            let pixels = g.outputPixels
            KernelThreads.forEachSlice((pixels + tile - 1) / tile) { slice in
                for t in slice {
                    let p0 = t * tile, rows = min(tile, pixels - p0)
                    for group in 0..<g.groups {
                        Gemm.multiply(m: rows, n: cg, k: og, a: gradOutput + p0 * cOut + group * og, lda: cOut,
                                      b: weights + group * og * cg, ldb: cg,
                                      c: gradInput + p0 * cIn + group * cg, ldc: cIn)
                    }
                }
            }
            return
        }
        if g.kernel.t == 1 {
            backwardDataByFrame(g, gradOutput: gradOutput, weights: weights, gradInput: gradInput)
            return
        }
        // Column blocks scatter-add into overlapping input windows, so workers own whole images;
        // a single image runs its tiles in order with BLAS using every thread.
        let perImage = g.output.volume
        KernelThreads.forEachSlice(g.batch) { images in
            let col = ThreadScratch.floats(tile * row, slot: 0)
            let imageSize = g.input.volume * cIn
            (gradInput + images.lowerBound * imageSize).initialize(repeating: 0, count: images.count * imageSize)
            for n in images {
                var p0 = n * perImage
                while p0 < (n + 1) * perImage {
                    let rows = min(tile, (n + 1) * perImage - p0)
                    for group in 0..<g.groups {
                        Gemm.multiply(m: rows, n: row, k: og, a: gradOutput + p0 * cOut + group * og, lda: cOut,
                                      b: weights + group * og * row, ldb: row, c: col, ldc: row)
                        col2imAdd(g, col, group: group, firstPixel: p0, pixels: rows, into: gradInput)
                    }
                    p0 += rows
                }
            }
        }
    }

    /// `backwardData` for kernels with one temporal tap: each output frame scatters into a single input
    /// frame of its own, so workers own output frames (BLAS single-threaded inside) and a single clip
    /// still spreads its scatter-adds over every core.
    static func backwardDataByFrame(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        let cOut = g.outputChannels, og = g.outputChannelsPerGroup
        let row = g.kernel.volume * g.inputChannelsPerGroup
        let tile = tilePixels(g), perFrame = g.output.h * g.output.w, frames = g.batch * g.output.t
        // Input frames that no output frame reaches (temporal stride or padding) stay zero.
        gradInput.initialize(repeating: 0, count: g.inputCount)
        KernelThreads.forEachSlice(frames) { slice in
            let col = ThreadScratch.floats(tile * row, slot: 0)
            for f in slice {
                var p0 = f * perFrame
                while p0 < (f + 1) * perFrame {
                    let rows = min(tile, (f + 1) * perFrame - p0)
                    for group in 0..<g.groups {
                        Gemm.multiply(m: rows, n: row, k: og, a: gradOutput + p0 * cOut + group * og, lda: cOut,
                                      b: weights + group * og * row, ldb: row, c: col, ldc: row)
                        col2imAdd(g, col, group: group, firstPixel: p0, pixels: rows, into: gradInput)
                    }
                    p0 += rows
                }
            }
        }
    }

    /// `gradWeights = d loss / d weights` (overwritten) and, when given, `gradBias` (overwritten).
    public static func backwardWeights(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
        gradWeights: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>? = nil
    ) {
        if let gradBias { biasGradient(gradOutput, pixels: g.outputPixels, channels: g.outputChannels, into: gradBias) }
        if g.isDepthwise {
            DepthwiseConv3d.backwardWeights(g, input: input, gradOutput: gradOutput, gradWeights: gradWeights)
            return
        }
        if g.isTemporalOnly {
            TemporalConv3d.backwardWeights(g, input: input, gradOutput: gradOutput, gradWeights: gradWeights)
            return
        }
        if g.isPointwise && g.groups == 1
            && PointwiseWeightGradient.handles(inputChannels: g.inputChannels, outputChannels: g.outputChannels) {
            PointwiseWeightGradient.compute(input: input, gradOutput: gradOutput, pixels: g.outputPixels,
                                            inputChannels: g.inputChannels, outputChannels: g.outputChannels,
                                            gradWeights: gradWeights)
            return
        }
        let pixels = g.outputPixels, cOut = g.outputChannels
        let cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup
        let row = g.kernel.volume * cg
        let count = g.weightCount
        // Pointwise: GEMMs over 8192 pixels (long enough to amortise packing, short enough that the
        // panels stay in cache), accumulated per worker; otherwise tiles through an im2col block.
        let tile = g.isPointwise ? 8192 : balancedTile(g, pixels: pixels)
        let tiles = (pixels + tile - 1) / tile
        let workers = KernelThreads.workers(tiles)
        gradWeights.initialize(repeating: 0, count: count)
        let partials = Scratch.perWorker(workers - 1, count, zeroed: true)
        KernelThreads.forEachSliceInFixedOrder(tiles) { worker, slice in
            let sum = worker == 0 ? gradWeights : partials[worker - 1].pointer
            let col = ThreadScratch.floats(g.isPointwise ? 0 : tile * row, slot: 0)
            for t in slice {
                let p0 = t * tile, rows = min(tile, pixels - p0)
                for group in 0..<g.groups {
                    let (b, ldb) = groupColumns(g, input, group: group, firstPixel: p0, pixels: rows, scratch: col)
                    Gemm.multiply(transposeA: true, m: og, n: row, k: rows,
                                  a: gradOutput + p0 * cOut + group * og, lda: cOut, b: b, ldb: ldb,
                                  beta: 1, c: sum + group * og * row, ldc: row)
                }
            }
        }
        for part in partials {
            for i in 0..<count { gradWeights[i] += part.pointer[i] }
            part.free()
        }
    }

    /// `gradBias[c] = Σ_pixels gradOutput[p, c]` (overwritten).
    public static func biasGradient(
        _ gradOutput: UnsafePointer<Float>, pixels: Int, channels: Int, into gradBias: UnsafeMutablePointer<Float>
    ) {
        let workers = KernelThreads.workers(pixels)
        let sums = Scratch(workers * channels, zeroed: true)
        defer { sums.free() }
        KernelThreads.forEachSliceInFixedOrder(pixels) { worker, slice in
            let sum = sums.pointer + worker * channels
            for p in slice {
                let row = gradOutput + p * channels
                for c in 0..<channels { sum[c] += row[c] }
            }
        }
        for c in 0..<channels {
            var total: Float = 0
            for w in 0..<workers { total += sums.pointer[w * channels + c] }
            gradBias[c] = total
        }
    }

    /// `out` (`rows x channels`) set to `bias` (per channel) plus `residual` (same size as `out`),
    /// either of which may be nil: the GEMM then accumulates onto it (`beta = 1`).
    static func startTile(
        _ out: UnsafeMutablePointer<Float>, rows: Int, channels: Int, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>?
    ) {
        switch (bias, residual) {
        case let (bias?, residual?):
            for r in 0..<rows {
                let o = out + r * channels, q = residual + r * channels
                for c in 0..<channels { o[c] = q[c] + bias[c] }
            }
        case let (bias?, nil):
            for r in 0..<rows { (out + r * channels).update(from: bias, count: channels) }
        case let (nil, residual?):
            out.update(from: residual, count: rows * channels)
        case (nil, nil):
            break
        }
    }

    /// `output = act(output + residual)` over `count` floats, spread over the pool.
    static func addResidual(
        _ residual: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>, count: Int, activation: Activation
    ) {
        let chunk = 1 << 14
        Parallel.forEach((count + chunk - 1) / chunk) { i in
            let start = i * chunk, n = min(chunk, count - start)
            let o = output + start, q = residual + start
            for j in 0..<n { o[j] += q[j] }
            activation.apply(o, count: n)
        }
    }

    /// One group's `[pixels, kernel.volume * Cg]` GEMM operand for a tile of output pixels, with its row
    /// stride: a pointwise conv reads the input in place; others gather im2col columns into `scratch`.
    @inline(__always)
    static func groupColumns(
        _ g: Conv3dGeometry, _ input: UnsafePointer<Float>, group: Int, firstPixel: Int, pixels: Int,
        scratch: UnsafeMutablePointer<Float>
    ) -> (UnsafePointer<Float>, Int) {
        if g.isPointwise {
            return (input + firstPixel * g.inputChannels + group * g.inputChannelsPerGroup, g.inputChannels)
        }
        im2col(g, input, group: group, firstPixel: firstPixel, pixels: pixels, into: scratch)
        return (UnsafePointer(scratch), g.kernel.volume * g.inputChannelsPerGroup)
    }

    /// Fills `col[pixels, kernel.volume * Cg]`: for each output pixel, the input channels of `group`
    /// under every kernel tap (zeros where the tap falls in padding).
    static func im2col(
        _ g: Conv3dGeometry, _ x: UnsafePointer<Float>, group: Int, firstPixel: Int, pixels: Int,
        into col: UnsafeMutablePointer<Float>
    ) {
        let cg = g.inputChannelsPerGroup, cIn = g.inputChannels, kW = g.kernel.w, iW = g.input.w
        // Without groups or W dilation, a kernel row's taps are one contiguous run of the input.
        let contiguous = g.groups == 1 && g.dilation.w == 1
        var dst = col
        walkRows(g, firstPixel: firstPixel, pixels: pixels) { rowBase, w0 in
            defer { dst += kW * cg }
            guard rowBase >= 0 else {
                dst.update(repeating: 0, count: kW * cg)
                return
            }
            let src = x + rowBase * cIn + group * cg
            if contiguous {
                let lo = min(kW, max(0, -w0)), hi = max(lo, min(kW, iW - w0))
                if lo > 0 { dst.update(repeating: 0, count: lo * cg) }
                (dst + lo * cg).update(from: src + (w0 + lo) * cIn, count: (hi - lo) * cg)
                if hi < kW { (dst + hi * cg).update(repeating: 0, count: (kW - hi) * cg) }
                return
            }
            for kw in 0..<kW {
                let wi = w0 + kw * g.dilation.w
                let d = dst + kw * cg
                if wi >= 0 && wi < iW {
                    let s = src + wi * cIn
                    for c in 0..<cg { d[c] = s[c] }
                } else {
                    for c in 0..<cg { d[c] = 0 }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds each column entry back into the input position it came from.
    static func col2imAdd(
        _ g: Conv3dGeometry, _ col: UnsafePointer<Float>, group: Int, firstPixel: Int, pixels: Int,
        into x: UnsafeMutablePointer<Float>
    ) {
        let cg = g.inputChannelsPerGroup, cIn = g.inputChannels, kW = g.kernel.w, iW = g.input.w
        let contiguous = g.groups == 1 && g.dilation.w == 1
        var src = col
        walkRows(g, firstPixel: firstPixel, pixels: pixels) { rowBase, w0 in
            defer { src += kW * cg }
            guard rowBase >= 0 else { return }
            let dst = x + rowBase * cIn + group * cg
            if contiguous {
                let lo = min(kW, max(0, -w0)), hi = max(lo, min(kW, iW - w0))
                let d = dst + (w0 + lo) * cIn, s = src + lo * cg
                for i in 0..<((hi - lo) * cg) { d[i] += s[i] }
                return
            }
            for kw in 0..<kW {
                let wi = w0 + kw * g.dilation.w
                guard wi >= 0 && wi < iW else { continue }
                let d = dst + wi * cIn, s = src + kw * cg
                for c in 0..<cg { d[c] += s[c] }
            }
        }
    }

    /// Calls `body(rowBase, w0)` for each output pixel in `firstPixel..<firstPixel+pixels` and each
    /// kernel (t, h) row in order: `rowBase` is the batch-wide index of input pixel (n, t, h, 0), or -1
    /// when the row lies in padding; `w0` is the input column of the row's first tap.
    @inline(__always)
    static func walkRows(_ g: Conv3dGeometry, firstPixel: Int, pixels: Int, _ body: (Int, Int) -> Void) {
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        let iT = g.input.t, iH = g.input.h, iW = g.input.w
        var wo = firstPixel % oW
        var ho = (firstPixel / oW) % oH
        var to = (firstPixel / (oW * oH)) % oT
        var n = firstPixel / (oW * oH * oT)
        for _ in 0..<pixels {
            let w0 = wo * g.stride.w - g.padding.w
            for kt in 0..<g.kernel.t {
                let ti = to * g.stride.t - g.padding.t + kt * g.dilation.t
                let tIn = ti >= 0 && ti < iT
                for kh in 0..<g.kernel.h {
                    let hi = ho * g.stride.h - g.padding.h + kh * g.dilation.h
                    body(tIn && hi >= 0 && hi < iH ? ((n * iT + ti) * iH + hi) * iW : -1, w0)
                }
            }
            wo += 1
            if wo == oW {
                wo = 0
                ho += 1
                if ho == oH {
                    ho = 0
                    to += 1
                    if to == oT { to = 0; n += 1 }
                }
            }
        }
    }
}
