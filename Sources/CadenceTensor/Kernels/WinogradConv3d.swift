/// Spatial 3x3 convolutions (kernel `(1, 3, 3)`, unit stride, padding `(0, 1, 1)`; the inner conv
/// of every SlowFast, Slow and ResNet block) by Winograd's minimal filtering F(2x2, 3x3).
///
/// Each frame is cut into 2x2 output tiles, each read from a 4x4 input patch. Transforming patches
/// (`Bᵀ d B`) and filters (`G g Gᵀ`) turns the conv into 16 independent products, one per
/// position of the 4x4 transform, `[tiles, C_in] x [C_in, C_out]`, which BLAS runs; the output
/// transform `Aᵀ m A` folds each tile's 16 results back into its 2x2 outputs. The products do
/// 16 multiply-adds per tile and channel pair where the im2col GEMM does 36 (2.25x fewer), and
/// the transforms are only additions (plus halves on the filters), so float32 results stay close to
/// the direct sum (the kernel tests hold them to 1e-5 of a float64 reference). `Conv3d` routes
/// `handles(g)` here, for the data gradient too (see `WinogradConvolution`).
enum WinogradConv3d: WinogradConvolution {
    /// Floats of transformed patches (or products) each thread holds for one block of tiles (4 MiB):
    /// BLAS needs about 200 rows per product to run at full speed (at 100 rows this conv took 1.35x
    /// as long), so blocks are sized in rows first and bounded in memory second.
    static let blockBudget = 1 << 20
    /// Tiles per block, at most.
    static let blockTiles = 256

    static func handles(_ g: Conv3dGeometry) -> Bool {
        g.kernel == Dims3(1, 3, 3) && g.stride == Dims3(all: 1) && g.padding == Dims3(0, 1, 1)
            && g.dilation == Dims3(all: 1) && g.groups == 1
            && min(g.inputChannels, g.outputChannels) >= minimumChannels
    }

    static func convolve(
        _ g: Conv3dGeometry, _ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, adjoint: Bool,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let filters = transformedFilters(weights, outputChannels: g.outputChannels, inputChannels: g.inputChannels,
                                         flipped: adjoint)
        defer { filters.free() }
        convolve(frames: g.batch * g.input.t, height: g.input.h, width: g.input.w,
                 inputChannels: adjoint ? g.outputChannels : g.inputChannels,
                 outputChannels: adjoint ? g.inputChannels : g.outputChannels, input: input,
                 filters: UnsafePointer(filters.pointer), transposedFilters: !adjoint, bias: bias,
                 activation: activation, output: output)
    }

    /// `G g Gᵀ` of every filter as `[16][O][C]` (transform position, output channel, input channel),
    /// from weights `[O, 1, 3, 3, C]`; `flipped` turns each 3x3 filter by 180 degrees first.
    static func transformedFilters(
        _ weights: UnsafePointer<Float>, outputChannels o: Int, inputChannels c: Int, flipped: Bool
    ) -> Scratch {
        transformedFilters(weights, outputChannels: o, inputChannels: c, taps: 9, positions: 16,
                           reversed: flipped) { tap, store in
            // G f over the filter's rows, column by column (tap 3 * row + column).
            let (a0, b0, c0, d0) = WinogradF23.filterTransform(tap(0), tap(3), tap(6))
            let (a1, b1, c1, d1) = WinogradF23.filterTransform(tap(1), tap(4), tap(7))
            let (a2, b2, c2, d2) = WinogradF23.filterTransform(tap(2), tap(5), tap(8))
            // (G f) Gᵀ over each row's columns.
            func storeRow(_ row: Int, _ t: (FloatVector, FloatVector, FloatVector, FloatVector)) {
                store(row * 4, t.0)
                store(row * 4 + 1, t.1)
                store(row * 4 + 2, t.2)
                store(row * 4 + 3, t.3)
            }
            storeRow(0, WinogradF23.filterTransform(a0, a1, a2))
            storeRow(1, WinogradF23.filterTransform(b0, b1, b2))
            storeRow(2, WinogradF23.filterTransform(c0, c1, c2))
            storeRow(3, WinogradF23.filterTransform(d0, d1, d2))
        }
    }

    /// The conv itself, over `frames` frames of `height x width` pixels with `k` input and `n` output
    /// channels. `filters` is `[16][rows][cols]` as `transformedFilters` lays it out: `[16][n][k]`
    /// when `transposedFilters`, else `[16][k][n]`.
    static func convolve(
        frames: Int, height: Int, width: Int, inputChannels k: Int, outputChannels n: Int,
        input: UnsafePointer<Float>, filters: UnsafePointer<Float>, transposedFilters: Bool,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let geometry = TileGrid(frames: frames, height: height, width: width)
        let tiles = geometry.count
        // Blocks as large as the budget allows, as many as a multiple of the threads, equal in size.
        let threads = max(1, Parallel.threadCount)
        let largest = max(16, min(blockTiles, blockBudget / (16 * max(k, n))))
        let rounds = (tiles + largest * threads - 1) / (largest * threads)
        let blocks = min(tiles, rounds * threads)
        let block = (tiles + blocks - 1) / blocks
        let filterRow = transposedFilters ? k : n
        KernelThreads.forEachSlice((tiles + block - 1) / block) { slice in
            let v = ThreadScratch.floats(16 * block * k, slot: 0), m = ThreadScratch.floats(16 * block * n, slot: 1)
            let edge = ThreadScratch.floats(16 * k, slot: 2)
            for b in slice {
                let first = b * block, count = min(block, tiles - first)
                transformPatches(geometry, input, channels: k, tiles: first..<(first + count), into: v,
                                 stride: block * k, edge: edge)
                for position in 0..<16 {
                    Gemm.multiply(transposeB: transposedFilters, m: count, n: n, k: k,
                                  a: v + position * block * k, lda: k,
                                  b: filters + position * k * n, ldb: filterRow,
                                  c: m + position * block * n, ldc: n)
                }
                transformProducts(geometry, m, channels: n, tiles: first..<(first + count), stride: block * n,
                                  bias: bias, activation: activation, into: output)
            }
        }
    }

    /// 2x2 output tiles of every frame, numbered frame by frame in raster order.
    struct TileGrid {
        let height: Int, width: Int
        let across: Int, down: Int
        let count: Int

        init(frames: Int, height: Int, width: Int) {
            self.height = height
            self.width = width
            across = (width + 1) / 2
            down = (height + 1) / 2
            count = frames * across * down
        }

        /// Frame, top output row and left output column of tile `i`.
        @inline(__always)
        func origin(_ i: Int) -> (frame: Int, row: Int, column: Int) {
            let perFrame = across * down
            let f = i / perFrame, r = i % perFrame
            return (f, 2 * (r / across), 2 * (r % across))
        }
    }

    /// `V = Bᵀ d B` for the 4x4 input patch of each tile (zeros outside the frame), written to
    /// `v[position * stride + (tile - first) * channels + c]`. Patches reaching past the frame's edge
    /// are first copied, zero-padded, into `edge` (16 pixels).
    static func transformPatches(
        _ grid: TileGrid, _ x: UnsafePointer<Float>, channels: Int, tiles: Range<Int>,
        into v: UnsafeMutablePointer<Float>, stride: Int, edge: UnsafeMutablePointer<Float>
    ) {
        let starts = ChannelVectors(channels: channels).starts
        for tile in tiles {
            let (f, row, column) = grid.origin(tile)
            let destination = v + (tile - tiles.lowerBound) * channels
            let top = row - 1, left = column - 1
            if top >= 0 && top + 4 <= grid.height && left >= 0 && left + 4 <= grid.width {
                transformPatch(x + ((f * grid.height + top) * grid.width + left) * channels,
                               rowStride: grid.width * channels, channels: channels, starts: starts,
                               into: destination, stride: stride)
                continue
            }
            for r in 0..<4 {
                for s in 0..<4 {
                    let h = top + r, w = left + s, pixel = edge + (r * 4 + s) * channels
                    if h >= 0 && h < grid.height && w >= 0 && w < grid.width {
                        pixel.update(from: x + ((f * grid.height + h) * grid.width + w) * channels, count: channels)
                    } else {
                        pixel.update(repeating: 0, count: channels)
                    }
                }
            }
            transformPatch(edge, rowStride: 4 * channels, channels: channels, starts: starts,
                           into: destination, stride: stride)
        }
    }

    /// `Bᵀ d B` of one 4x4 patch whose pixel (r, s) starts at `p + r * rowStride + s * channels`.
    @inline(__always)
    static func transformPatch(
        _ p: UnsafePointer<Float>, rowStride: Int, channels: Int, starts: [Int],
        into destination: UnsafeMutablePointer<Float>, stride: Int
    ) {
        for c in starts {
            @inline(__always) func d(_ r: Int, _ s: Int) -> FloatVector { loadVector(p + r * rowStride + s * channels + c) }
            // Bᵀ d, column by column: (a, b, e, h) are rows 0-3 of the result.
            let (a0, b0, e0, h0) = WinogradF23.patchTransform(d(0, 0), d(1, 0), d(2, 0), d(3, 0))
            let (a1, b1, e1, h1) = WinogradF23.patchTransform(d(0, 1), d(1, 1), d(2, 1), d(3, 1))
            let (a2, b2, e2, h2) = WinogradF23.patchTransform(d(0, 2), d(1, 2), d(2, 2), d(3, 2))
            let (a3, b3, e3, h3) = WinogradF23.patchTransform(d(0, 3), d(1, 3), d(2, 3), d(3, 3))
            @inline(__always) func store(_ row: Int, _ t: (FloatVector, FloatVector, FloatVector, FloatVector)) {
                let out = destination + row * 4 * stride + c
                storeVector(t.0, out)
                storeVector(t.1, out + stride)
                storeVector(t.2, out + 2 * stride)
                storeVector(t.3, out + 3 * stride)
            }
            store(0, WinogradF23.patchTransform(a0, a1, a2, a3))
            store(1, WinogradF23.patchTransform(b0, b1, b2, b3))
            store(2, WinogradF23.patchTransform(e0, e1, e2, e3))
            store(3, WinogradF23.patchTransform(h0, h1, h2, h3))
        }
    }

    /// `Y = Aᵀ m A` for each tile's 16 products, plus bias and activation, written to the tile's
    /// output pixels that lie inside the frame.
    static func transformProducts(
        _ grid: TileGrid, _ m: UnsafePointer<Float>, channels: Int, tiles: Range<Int>, stride: Int,
        bias: UnsafePointer<Float>?, activation: Activation, into y: UnsafeMutablePointer<Float>
    ) {
        let starts = ChannelVectors(channels: channels).starts
        for tile in tiles {
            let (f, row, column) = grid.origin(tile)
            let rows = min(2, grid.height - row), columns = min(2, grid.width - column)
            let source = m + (tile - tiles.lowerBound) * channels
            let topLeft = y + ((f * grid.height + row) * grid.width + column) * channels
            for c in starts {
                @inline(__always) func p(_ r: Int, _ s: Int) -> FloatVector { loadVector(source + (r * 4 + s) * stride + c) }
                // Aᵀ m, column by column: (top, bottom) are the two rows of the result.
                let (top0, bottom0) = WinogradF23.outputTransform(p(0, 0), p(1, 0), p(2, 0), p(3, 0))
                let (top1, bottom1) = WinogradF23.outputTransform(p(0, 1), p(1, 1), p(2, 1), p(3, 1))
                let (top2, bottom2) = WinogradF23.outputTransform(p(0, 2), p(1, 2), p(2, 2), p(3, 2))
                let (top3, bottom3) = WinogradF23.outputTransform(p(0, 3), p(1, 3), p(2, 3), p(3, 3))
                let b = bias.map { loadVector($0 + c) } ?? FloatVector(repeating: 0)
                let (y00, y01) = WinogradF23.outputTransform(top0, top1, top2, top3)
                storeVector(y00 + b, topLeft + c)
                if columns == 2 { storeVector(y01 + b, topLeft + channels + c) }
                if rows == 2 {
                    let (y10, y11) = WinogradF23.outputTransform(bottom0, bottom1, bottom2, bottom3)
                    let below = topLeft + grid.width * channels + c
                    storeVector(y10 + b, below)
                    if columns == 2 { storeVector(y11 + b, below + channels) }
                }
            }
            if activation != .identity {
                for r in 0..<rows {
                    activation.apply(topLeft + r * grid.width * channels, count: columns * channels)
                }
            }
        }
    }

}
