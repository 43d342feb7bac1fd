import CKernelSupport

/// The vector the hand-vectorised kernels work in: one register. With AVX2 (x86-64-v3, such as AMD Zen 3) it is
/// 8 floats, a `ymm` register, of which there are 16, and kernels size their register blocks for 16.
/// Built for a CPU with AVX-512 (`Package.swift` defines CADENCE_WIDE_VECTORS then), it is 16 floats, a
/// `zmm` register: twice the lanes per instruction, and 32 registers, so the same blocks still fit.
#if CADENCE_WIDE_VECTORS
typealias FloatVector = SIMD16<Float>
#else
typealias FloatVector = SIMD8<Float>
#endif

/// Lanes in a `FloatVector`.
let vectorWidth = FloatVector.scalarCount

/// What the C kernels (`CKernelSupport`, x86-64 only) may use on this CPU, checked once at run time:
/// they need AVX2 and FMA, and have 16-lane forms for AVX-512, whatever `FloatVector` was built as.
enum KernelCPU {
    #if arch(x86_64)
    static let hasAVX2 = cadence_cpu_has_avx2() != 0
    static let hasAVX512 = cadence_cpu_has_avx512() != 0
    #else
    static let hasAVX2 = false
    static let hasAVX512 = false
    #endif
}

/// Unaligned vector load (compiles to a plain `vmovups` or a memory operand of `vfmadd`).
@inline(__always)
func loadVector(_ p: UnsafePointer<Float>) -> FloatVector {
    UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
}

@inline(__always)
func loadVector(_ p: UnsafeMutablePointer<Float>) -> FloatVector {
    UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
}

@inline(__always)
func storeVector(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatVector.self)
}

/// How a channel loop covers `channels` floats with vectors: full vectors from 0, then, when the
/// count is not a multiple of the width, one last vector ending exactly at `channels` that overlaps
/// the previous one. Stores of recomputed lanes are harmless; accumulations multiply by `mask`, which
/// is zero on the lanes an earlier vector already covered. Needs `channels >= vectorWidth`.
struct ChannelVectors {
    let starts: [Int]
    let masks: [FloatVector]

    init(channels: Int) {
        var starts = Array(stride(from: 0, to: channels - vectorWidth + 1, by: vectorWidth))
        var masks = Array(repeating: FloatVector(repeating: 1), count: starts.count)
        if channels % vectorWidth != 0 {
            starts.append(channels - vectorWidth)
            let covered = vectorWidth - channels % vectorWidth
            var mask = FloatVector(repeating: 1)
            for lane in 0..<covered { mask[lane] = 0 }
            masks.append(mask)
        }
        self.starts = starts
        self.masks = masks
    }
}
