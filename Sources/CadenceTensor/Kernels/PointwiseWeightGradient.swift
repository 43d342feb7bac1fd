import CKernelSupport

/// The weight gradient of an ungrouped pointwise (1x1x1) conv with narrow channel counts:
/// `gradWeights[o, c] = Σ_p gradOutput[p, o] * input[p, c]` over every pixel p.
///
/// BLAS runs this as a GEMM whose inner dimension is the pixel count: with X3D's widths (tens to a few
/// hundred channels) it spends much of its time packing both tall operands. Here each worker sweeps
/// tiles of pixels with register blocks (`cadence_pointwise_weight_sums`, `PointwiseBlocks.h`). Sums
/// are kept per worker, then added once at the end. x86-64 only; elsewhere BLAS does these too.
enum PointwiseWeightGradient {
    /// Pixels per tile: few enough that the tile's rows of both operands (16 KiB) stay in L1 while
    /// every block sweeps them. (Tiles sized for L2 left the FMAs waiting on loads: X3D's 54 > 24
    /// gradient ran at 23 GFLOP/s with 256-pixel tiles, 48-51 with 32-64.)
    static func tile(inputChannels cIn: Int, outputChannels cOut: Int) -> Int {
        max(16, min(256, 4096 / (cIn + cOut)))
    }

    /// Whether this kernel should run for `cIn -> cOut`: at least 8 output channels, and few enough
    /// weights that BLAS's packing of the tall operands would cost a noticeable share.
    static func handles(inputChannels cIn: Int, outputChannels cOut: Int) -> Bool {
        #if arch(x86_64)
        return KernelCPU.hasAVX2 && cOut >= 8 && cIn * cOut <= 1 << 15
        #else
        return false
        #endif
    }

    /// Overwrites `gradWeights` (`[cOut, cIn]`) with `Σ_p gradOutput[p, o] * input[p, c]`; only for
    /// widths `handles` takes. `wide` picks the AVX-512 blocks where the CPU has them.
    static func compute(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, pixels: Int,
        inputChannels cIn: Int, outputChannels cOut: Int, gradWeights: UnsafeMutablePointer<Float>,
        wide: Bool = KernelCPU.hasAVX512
    ) {
        #if arch(x86_64)
        let wide: Int32 = wide && KernelCPU.hasAVX512 ? 1 : 0
        // The blocks run vectors along one side of the sum and broadcast the other. Along the side whose
        // vectors waste fewer lanes: for 54 > 24 with 16 lanes, 54 channels take 64 lanes (84% used) and
        // 24 take 32 (75%); along the input channels the sums come out `[cOut][cIn]`, as `gradWeights` is.
        let lanes = wide != 0 ? 16 : 8
        func used(_ channels: Int) -> Double { Double(channels) / Double((channels + lanes - 1) / lanes * lanes) }
        let alongInput = cIn >= lanes && used(cIn) > used(cOut)
        let (broadcast, vectors) = alongInput ? (dy, x) : (x, dy)
        let (broadcastChannels, vectorChannels) = alongInput ? (cOut, cIn) : (cIn, cOut)
        let tile = tile(inputChannels: cIn, outputChannels: cOut)
        let tiles = (pixels + tile - 1) / tile
        let workers = KernelThreads.workers(tiles)
        let size = cIn * cOut
        let sums = Scratch(workers * size, zeroed: true)
        defer { sums.free() }
        KernelThreads.forEachSliceInFixedOrder(tiles) { worker, slice in
            for tileIndex in slice {
                let p0 = tileIndex * tile, count = min(tile, pixels - p0)
                cadence_pointwise_weight_sums(broadcast + p0 * broadcastChannels, vectors + p0 * vectorChannels, count,
                                              broadcastChannels, vectorChannels, sums.pointer + worker * size, wide)
            }
        }
        // Sums are `[broadcast side][vector side]`: `[cIn][cOut]`, or `[cOut][cIn]` along the input.
        for o in 0..<cOut {
            for c in 0..<cIn {
                let at = alongInput ? o * cIn + c : c * cOut + o
                var total: Float = 0
                for w in 0..<workers { total += sums.pointer[w * size + at] }
                gradWeights[o * cIn + c] = total
            }
        }
        #endif
    }
}
