import CKernelSupport

/// RGB stems with seven taps at stride 2 along W (SlowFast's and ResNet's `1x7x7`, 3 > 64) by Winograd's
/// minimal filtering along W, one algorithm for each phase of the stride.
///
/// Outputs `4p ... 4p + 3` of a row (tile `p`) read padded columns `8p ... 8p + 12`. The even taps
/// (0, 2, 4, 6) meet the seven even columns, which F(4, 4) turns into 7 products where direct summation
/// takes 16; the odd taps (1, 3, 5) meet the six odd columns, which F(4, 3) turns into 6 products
/// instead of 12. A tile so takes 13 products per (kernel row, input channel) and output channel
/// instead of 28 (2.15x fewer multiply-adds). `NarrowInputConv3d` runs these convs directly at the FMA
/// units' peak already, so doing fewer multiply-adds is what makes them faster.
///
/// The two output transforms weigh their first five products alike, and the last of each alike, so
/// those products are summed together: 7 sums per tile, each a product `[tiles, K] x [K, C_out]` with
/// a short K (42 or 21 for an RGB `1x7x7` stem), run by a register block of 4 tiles by 4 vectors of
/// output channels, one sum at a time across an output row so that its filters stay in L1. The output
/// transform then folds each tile's 7 sums into its 4 outputs and adds the bias. Within a thread's
/// slice of output rows, a ring keeps the transformed rows that the next output row reads again (7 taps
/// at stride 2 read each input row for 3 or 4 output rows), and the rows it adds are prefetched while
/// the current row computes. (A row that a later output frame reads through another temporal tap is
/// transformed again.)
///
/// The points are 0, ±1, ±2 and infinity, and 1/2 for F(4, 4). The input and output transforms are
/// small integers; the filter transform has fractions down to 1/120. Against a float64 reference the
/// tests measure relative errors up to 1.1e-5 on `1x7x7` stems and 3e-5 on a `5x7x7` (sums of 105
/// products), within the 5e-5 the 3x3 Winograd kernels are held to. (In a float32 simulation, other
/// point sets, such as ±1/2 in place of ±2, changed the mean error by less than 20%.)
///
/// The register block needs 32 vector registers (16 accumulators, 4 filter vectors and the broadcasts),
/// so only builds with AVX-512 vectors take it; elsewhere `NarrowInputConv3d` runs these stems.
enum StemWinogradConv3d {
    /// Outputs per tile.
    static let tileOutputs = 4
    /// Tiles per register block.
    static let blockTiles = 4
    /// Output channels per register block (four vectors).
    static let blockChannels = 4 * vectorWidth
    /// Transformed values per tile and input channel: F(4, 4)'s 7 (components 0-6), then F(4, 3)'s 6.
    static let components = 13
    /// The components each summed product takes, in the order the output transform reads them.
    static let sums: [[Int]] = [[0, 7], [1, 8], [2, 9], [3, 10], [4, 11], [5], [6, 12]]

    /// Whether this build's vectors are AVX-512's (see above).
    static let available = vectorWidth == 16

    static func handles(_ g: Conv3dGeometry) -> Bool {
        available && g.groups == 1 && g.inputChannels <= 4 && g.kernel.w == 7 && g.stride.w == 2
            && g.dilation == Dims3(all: 1) && g.outputChannels % blockChannels == 0
            && (g.output.w + tileOutputs - 1) / tileOutputs >= blockTiles
    }

    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let cIn = g.inputChannels, cOut = g.outputChannels
        let kH = g.kernel.h, kRows = g.kernel.t * kH
        let oW = g.output.w, tiles = (oW + tileOutputs - 1) / tileOutputs
        let filters = transformedFilters(weights, g)
        defer { filters.free() }
        let blockFilterFloats = components * kRows * cIn * blockChannels
        let zeroBias = Scratch(cOut, zeroed: true)
        defer { zeroBias.free() }
        let biasPointer = UnsafePointer(bias ?? UnsafePointer(zeroBias.pointer))

        // A transformed row: `[component][tile][C_in]`, each component padded to whole vectors.
        let componentFloats = (tiles * cIn + vectorWidth - 1) / vectorWidth * vectorWidth
        let slotFloats = components * componentFloats
        // The eight phase planes of a padded input row (columns 8p + r), long enough for the vector
        // loop's reads one tile ahead, plus room for the last four-float store.
        let planeColumns = componentFloats / cIn + 2
        let planeFloats = planeColumns * cIn + 4
        // Each sum's products for a whole row: `[sum][tile][blockChannels]`.
        let productFloats = sums.count * tiles * blockChannels
        let outputRows = g.batch * g.output.t * g.output.h
        // Large outputs leave through a row buffer (`OutputStreaming`): 8-10% faster for SlowFast's stem.
        let streamsOutput = OutputStreaming.applies(toFloats: g.outputCount)
        let rowBufferFloats = streamsOutput ? oW * cOut + 16 : 0
        let scratchFloats = kRows * slotFloats + 8 * planeFloats + productFloats + rowBufferFloats
        /// The input rows output row `r` reads, inside the clip: its kernel row, the ring slot for it and
        /// its index among the input's rows. Rows of one frame share slots by their index modulo kH,
        /// which the kH rows one output row reads never do.
        func inputRows(of r: Int, _ body: (_ kernelRow: Int, _ slot: Int, _ row: Int) -> Void) {
            let ho = r % g.output.h, to = r / g.output.h % g.output.t, n = r / (g.output.h * g.output.t)
            for kt in 0..<g.kernel.t {
                let ti = to * g.stride.t - g.padding.t + kt
                guard ti >= 0 && ti < g.input.t else { continue }
                for kh in 0..<kH {
                    let hi = ho * g.stride.h - g.padding.h + kh
                    guard hi >= 0 && hi < g.input.h else { continue }
                    body(kt * kH + kh, kt * kH + hi % kH, (n * g.input.t + ti) * g.input.h + hi)
                }
            }
        }
        let rowFloats = g.input.w * cIn
        KernelThreads.forEachSlice(outputRows) { slice in
            let ring = ThreadScratch.floats(scratchFloats, slot: 0)
            let planes = ring + kRows * slotFloats
            let products = planes + 8 * planeFloats
            let rowBuffer = products + productFloats
            defer { if streamsOutput { cadence_store_fence() } }
            // Which input row each ring slot holds (-1: none yet).
            var held = [Int](repeating: -1, count: kRows)
            // Each sum's terms for the current output row: a component of a transformed row, and the
            // offset of its filters in a channel block's.
            var termInputs = [UnsafePointer<Float>](repeating: UnsafePointer(ring), count: components * kRows)
            var termFilters = [Int](repeating: 0, count: termInputs.count)
            var sumEnds = [Int](repeating: 0, count: sums.count)
            var rows: [(kernelRow: Int, transformed: UnsafePointer<Float>)] = []
            rows.reserveCapacity(kRows)
            for r in slice {
                rows.removeAll(keepingCapacity: true)
                inputRows(of: r) { kernelRow, slot, row in
                    let transformed = ring + slot * slotFloats
                    if held[slot] != row {
                        transformRow(g, input + row * rowFloats, planes: planes, planeFloats: planeFloats,
                                     planeColumns: planeColumns, componentFloats: componentFloats, into: transformed)
                        held[slot] = row
                    }
                    rows.append((kernelRow, UnsafePointer(transformed)))
                }
                // The rows the next output row adds come from memory while this one computes.
                if r + 1 < slice.upperBound {
                    inputRows(of: r + 1) { _, slot, row in
                        guard held[slot] != row else { return }
                        for line in stride(from: 0, to: rowFloats, by: 16) { cadence_prefetch(input + row * rowFloats + line) }
                    }
                }
                var terms = 0
                for (s, sum) in sums.enumerated() {
                    for (kernelRow, transformed) in rows {
                        for component in sum {
                            termInputs[terms] = transformed + component * componentFloats
                            termFilters[terms] = (component * kRows + kernelRow) * cIn * blockChannels
                            terms += 1
                        }
                    }
                    sumEnds[s] = terms
                }
                let destination = output + r * oW * cOut
                let out = streamsOutput ? rowBuffer : destination
                termInputs.withUnsafeBufferPointer { termInputs in
                    termFilters.withUnsafeBufferPointer { termFilters in
                        for c0 in stride(from: 0, to: cOut, by: blockChannels) {
                            let blockFilters = UnsafePointer(filters.pointer) + c0 / blockChannels * blockFilterFloats
                            // One sum at a time across the row, so that its filters stay in L1. Blocks
                            // of tiles; the last overlaps the one before rather than running short.
                            var start = 0
                            for (s, end) in sumEnds.enumerated() {
                                let inputs = UnsafeBufferPointer(rebasing: termInputs[start..<end])
                                let offsets = UnsafeBufferPointer(rebasing: termFilters[start..<end])
                                var p = 0
                                while p < tiles {
                                    let first = min(p, tiles - blockTiles)
                                    multiply(inputs: inputs, filterOffsets: offsets, inputOffset: first * cIn,
                                             filters: blockFilters, cIn: cIn,
                                             into: products + (s * tiles + first) * blockChannels)
                                    p += blockTiles
                                }
                                start = end
                            }
                            foldOutputs(UnsafePointer(products), tiles: tiles, bias: biasPointer + c0,
                                        outputWidth: oW, into: out + c0, cOut: cOut)
                        }
                    }
                }
                activation.apply(out, count: oW * cOut)
                if streamsOutput { cadence_stream_floats(destination, UnsafePointer(out), oW * cOut) }
            }
        }
    }

    /// Filters `[O, kt, kh, 7, C_in]` transformed into `[O / blockChannels][component][kernel row][C_in]
    /// [blockChannels]`: four vectors per (component, kernel row, input channel) of a block.
    static func transformedFilters(_ weights: UnsafePointer<Float>, _ g: Conv3dGeometry) -> Scratch {
        let cIn = g.inputChannels, cOut = g.outputChannels, kRows = g.kernel.t * g.kernel.h
        let u = Scratch(components * kRows * cIn * cOut)
        for o in 0..<cOut {
            let block = o / blockChannels * blockChannels, lane = o - block
            for kr in 0..<kRows {
                for ci in 0..<cIn {
                    func tap(_ k: Int) -> Double { Double(weights[((o * kRows + kr) * 7 + k) * cIn + ci]) }
                    let (e0, e1, e2, e3) = (tap(0), tap(2), tap(4), tap(6))
                    let (d0, d1, d2) = (tap(1), tap(3), tap(5))
                    // G of F(4, 4) on the even taps (its sixth row scaled by 1/8, the output transform's
                    // matching column by 8), then G of F(4, 3) on the odd ones.
                    let transformed = [
                        -e0 / 4, -(e0 + e1 + e2 + e3) / 6, (e0 - e1 + e2 - e3) / 18,
                        (e0 + 2 * e1 + 4 * e2 + 8 * e3) / 72, (-e0 + 2 * e1 - 4 * e2 + 8 * e3) / 120,
                        (8 * e0 + 4 * e1 + 2 * e2 + e3) / 90, e3 / 2,
                        d0 / 4, -(d0 + d1 + d2) / 6, -(d0 - d1 + d2) / 6,
                        (d0 + 2 * d1 + 4 * d2) / 24, (d0 - 2 * d1 + 4 * d2) / 24, d2,
                    ]
                    for component in 0..<components {
                        u.pointer[block * components * kRows * cIn
                            + ((component * kRows + kr) * cIn + ci) * blockChannels + lane] = Float(transformed[component])
                    }
                }
            }
        }
        return u
    }

    /// One input row transformed into `[component][tile][C_in]`. The row is first split into eight phase
    /// planes (padded columns `8p + r`, zero outside the input), so that every component is a sum of
    /// planes shifted by whole tiles: vectors over (tile, channel) with no lane wasted.
    static func transformRow(
        _ g: Conv3dGeometry, _ row: UnsafePointer<Float>, planes: UnsafeMutablePointer<Float>, planeFloats: Int,
        planeColumns: Int, componentFloats: Int, into transformed: UnsafeMutablePointer<Float>
    ) {
        let cIn = g.inputChannels, width = g.input.w
        // Columns go four floats at a time (C_in <= 4), in the row's order: each store's extra floats
        // are overwritten by the next tile's or fall in the plane's slack. Loads of four floats stay
        // inside the row up to column `lastLoaded`; the columns after it are copied float by float. The
        // tiles whose eight columns all load whole copy without checks.
        @inline(__always) func copyColumn(_ column: Int, phase: Int, tile p: Int) {
            UnsafeMutableRawPointer(planes + phase * planeFloats + p * cIn).storeBytes(
                of: UnsafeRawPointer(row + column * cIn).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
        }
        let padding = g.padding.w, lastLoaded = width - (4 + cIn - 1) / cIn
        let firstInside = (padding + 7) / 8
        let inside = firstInside..<max(firstInside, min(planeColumns, (lastLoaded + padding + 1) / 8))
        for p in 0..<planeColumns {
            if inside.contains(p) {
                for phase in 0..<8 { copyColumn(8 * p + phase - padding, phase: phase, tile: p) }
                continue
            }
            for phase in 0..<8 {
                let column = 8 * p + phase - padding
                let target = planes + phase * planeFloats + p * cIn
                if column >= 0 && column <= lastLoaded {
                    copyColumn(column, phase: phase, tile: p)
                } else if column >= 0 && column < width {
                    for ci in 0..<cIn { target[ci] = row[column * cIn + ci] }
                } else {
                    UnsafeMutableRawPointer(target).storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self)
                }
            }
        }
        @inline(__always) func plane(_ phase: Int) -> UnsafePointer<Float> { UnsafePointer(planes + phase * planeFloats) }
        let next = cIn
        // Coefficients as vectors: one operator overload to resolve per term keeps type-checking quick.
        let c2 = FloatVector(repeating: 2), c3 = FloatVector(repeating: 3), c4 = FloatVector(repeating: 4)
        let c5 = FloatVector(repeating: 5), c7 = FloatVector(repeating: 7), c8 = FloatVector(repeating: 8)
        let c9 = FloatVector(repeating: 9), c10 = FloatVector(repeating: 10), c12 = FloatVector(repeating: 12)
        for q in stride(from: 0, to: componentFloats, by: vectorWidth) {
            @inline(__always) func store(_ v: FloatVector, _ component: Int) {
                storeVector(v, transformed + component * componentFloats + q)
            }
            // Even columns 8p, 8p + 2, ..., 8p + 12: Bᵀ of F(4, 4).
            let d0 = loadVector(plane(0) + q), d1 = loadVector(plane(2) + q), d2 = loadVector(plane(4) + q)
            let d3 = loadVector(plane(6) + q), d4 = loadVector(plane(0) + q + next)
            let d5 = loadVector(plane(2) + q + next), d6 = loadVector(plane(4) + q + next)
            store(c8 * d1 - c4 * d0 + c5 * d2 - c10 * d3 - d4 + c2 * d5, 0)
            store(c4 * (d1 - d2) - c9 * d3 + d4 + c2 * d5, 1)
            store(c12 * d2 - c4 * d1 - c7 * d3 - c3 * d4 + c2 * d5, 2)
            store(c2 * d1 - c3 * d2 - c4 * d3 + c3 * d4 + c2 * d5, 3)
            store(c5 * (d2 - d4) - c2 * d1 + c2 * d5, 4)
            store(c4 * d1 - c5 * d3 + d5, 5)
            store(c8 * d2 - c4 * d1 + c5 * d3 - c10 * d4 - d5 + c2 * d6, 6)
            // Odd columns 8p + 1, ..., 8p + 11: Bᵀ of F(4, 3).
            let o0 = loadVector(plane(1) + q), o1 = loadVector(plane(3) + q), o2 = loadVector(plane(5) + q)
            let o3 = loadVector(plane(7) + q), o4 = loadVector(plane(1) + q + next)
            let o5 = loadVector(plane(3) + q + next)
            store(c4 * o0 - c5 * o2 + o4, 7)
            store(o3 + o4 - c4 * (o1 + o2), 8)
            store(c4 * (o1 - o2) - o3 + o4, 9)
            store(c2 * (o3 - o1) - o2 + o4, 10)
            store(c2 * (o1 - o3) - o2 + o4, 11)
            store(c4 * o1 - c5 * o3 + o5, 12)
        }
    }

    /// One summed product for 4 tiles by four vectors of output channels, over its terms (each a
    /// component of a transformed row, times its filters, for every input channel), stored as
    /// `[tile][blockChannels]`.
    @inline(__always)
    static func multiply(
        inputs: UnsafeBufferPointer<UnsafePointer<Float>>, filterOffsets: UnsafeBufferPointer<Int>, inputOffset: Int,
        filters: UnsafePointer<Float>, cIn: Int, into products: UnsafeMutablePointer<Float>
    ) {
        let zero = FloatVector()
        var a00 = zero, a01 = zero, a02 = zero, a03 = zero, a10 = zero, a11 = zero, a12 = zero, a13 = zero
        var a20 = zero, a21 = zero, a22 = zero, a23 = zero, a30 = zero, a31 = zero, a32 = zero, a33 = zero
        for term in 0..<inputs.count {
            var x = inputs[term] + inputOffset
            var w = filters + filterOffsets[term]
            for _ in 0..<cIn {
                let w0 = loadVector(w), w1 = loadVector(w + vectorWidth)
                let w2 = loadVector(w + 2 * vectorWidth), w3 = loadVector(w + 3 * vectorWidth)
                var v = FloatVector(repeating: x[0])
                a00.addProduct(v, w0); a01.addProduct(v, w1); a02.addProduct(v, w2); a03.addProduct(v, w3)
                v = FloatVector(repeating: x[cIn])
                a10.addProduct(v, w0); a11.addProduct(v, w1); a12.addProduct(v, w2); a13.addProduct(v, w3)
                v = FloatVector(repeating: x[2 * cIn])
                a20.addProduct(v, w0); a21.addProduct(v, w1); a22.addProduct(v, w2); a23.addProduct(v, w3)
                v = FloatVector(repeating: x[3 * cIn])
                a30.addProduct(v, w0); a31.addProduct(v, w1); a32.addProduct(v, w2); a33.addProduct(v, w3)
                x += 1
                w += blockChannels
            }
        }
        let h = vectorWidth, s = blockChannels
        storeVector(a00, products); storeVector(a01, products + h)
        storeVector(a02, products + 2 * h); storeVector(a03, products + 3 * h)
        storeVector(a10, products + s); storeVector(a11, products + s + h)
        storeVector(a12, products + s + 2 * h); storeVector(a13, products + s + 3 * h)
        storeVector(a20, products + 2 * s); storeVector(a21, products + 2 * s + h)
        storeVector(a22, products + 2 * s + 2 * h); storeVector(a23, products + 2 * s + 3 * h)
        storeVector(a30, products + 3 * s); storeVector(a31, products + 3 * s + h)
        storeVector(a32, products + 3 * s + 2 * h); storeVector(a33, products + 3 * s + 3 * h)
    }

    /// Aᵀ over a row's 7 sums per tile, plus the bias, stored as outputs `4p ... 4p + 3` (those the row
    /// has).
    @inline(__always)
    static func foldOutputs(
        _ products: UnsafePointer<Float>, tiles: Int, bias: UnsafePointer<Float>, outputWidth: Int,
        into out: UnsafeMutablePointer<Float>, cOut: Int
    ) {
        let sumStride = tiles * blockChannels
        for t in 0..<tiles {
            let pixel = tileOutputs * t
            for lane in stride(from: 0, to: blockChannels, by: vectorWidth) {
                let m = products + t * blockChannels + lane
                @inline(__always) func sum(_ s: Int) -> FloatVector { loadVector(m + s * sumStride) }
                let b = loadVector(bias + lane)
                let p1 = sum(1), p2 = sum(2), p3 = sum(3), p4 = sum(4), p5 = sum(5)
                let odd = p1 - p2, even = p1 + p2, oddFar = p3 - p4, evenFar = p3 + p4
                let y0 = sum(0) + even + evenFar + 8 * p5, y1 = odd + 2 * oddFar + 4 * p5
                let y2 = even + 4 * evenFar + 2 * p5, y3 = odd + 8 * oddFar + p5 + sum(6)
                let at = out + pixel * cOut + lane, outputs = outputWidth - pixel
                storeVector(y0 + b, at)
                if outputs > 1 { storeVector(y1 + b, at + cOut) }
                if outputs > 2 { storeVector(y2 + b, at + 2 * cOut) }
                if outputs > 3 { storeVector(y3 + b, at + 3 * cOut) }
            }
        }
    }
}
