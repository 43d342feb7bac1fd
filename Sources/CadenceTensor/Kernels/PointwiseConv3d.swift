import CKernelSupport

/// Pointwise (1x1x1) convs with few input channels, as X3D's expand and project layers are:
/// `y[p, o] = b[o] + Σ_c x[p, c] * w[o, c]` with register blocks (`PointwiseBlocks.h`) instead of BLAS,
/// whose packing and separate `beta = 0` pass over the output cost more than the few multiply-adds per
/// output (`k = C_in`) when `C_in` is small. `Conv3d` uses it for ungrouped pointwise forward passes and
/// for their data gradient (the same product with the weights transposed) when `handles` says so.
/// x86-64 only (AVX2, and AVX-512 where the CPU has it); elsewhere BLAS does these too.
enum PointwiseConv3d {
    /// Whether the direct kernel should run a `[pixels, cIn] -> [pixels, cOut]` product: narrow
    /// enough that the packed weights stay in L2 and BLAS's overheads dominate.
    static func handles(inputChannels cIn: Int, outputChannels cOut: Int) -> Bool {
        #if arch(x86_64)
        return KernelCPU.hasAVX2 && cOut >= 8 && cIn <= 128 && cIn * cOut <= 32768
        #else
        return false
        #endif
    }

    /// `output[p, o] = act(bias[o] + Σ_c input[p, c] * weights(o, c) + residual[p, o])` for `pixels` rows, where
    /// `weights(o, c)` is `weights[o * cIn + c]`, or `weights[c * cOut + o]` when `transposed`. `wide`
    /// picks the AVX-512 blocks (where the CPU has them) or the AVX2 ones. Only for products `handles`
    /// takes.
    static func multiply(
        _ input: UnsafePointer<Float>, pixels: Int, inputChannels cIn: Int, outputChannels cOut: Int,
        weights: UnsafePointer<Float>, transposed: Bool = false, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>? = nil, activation: Activation, output: UnsafeMutablePointer<Float>,
        wide: Bool = KernelCPU.hasAVX512
    ) {
        #if arch(x86_64)
        let wide: Int32 = wide && KernelCPU.hasAVX512 ? 1 : 0
        let packed = Scratch(cadence_pointwise_packed_floats(cIn, cOut, wide))
        defer { packed.free() }
        cadence_pointwise_pack(packed.pointer, weights, transposed ? 1 : 0, bias, cIn, cOut, wide)
        let tile = 256
        KernelThreads.forEachSlice((pixels + tile - 1) / tile) { slice in
            for t in slice {
                let p0 = t * tile, p1 = min(pixels, p0 + tile)
                cadence_pointwise_pixels(input + p0 * cIn, p1 - p0, cIn, cOut, packed.pointer,
                                         residual.map { $0 + p0 * cOut }, output + p0 * cOut, wide)
                activation.apply(output + p0 * cOut, count: (p1 - p0) * cOut)
            }
        }
        #endif
    }
}
