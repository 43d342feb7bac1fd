/// Unaligned 16-float vector access for the hand-vectorised kernels (compiled to zmm/ymm loads).
@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// How a channel loop covers `channels` floats with 16-wide vectors: full vectors from 0, then, when
/// the count is not a multiple of 16, one last vector ending exactly at `channels` that overlaps the
/// previous one. Stores of recomputed lanes are harmless; accumulations multiply by `mask`, which is
/// zero on the lanes an earlier vector already covered. Needs `channels >= 16`.
struct ChannelVectors {
    let starts: [Int]
    let masks: [SIMD16<Float>]

    init(channels: Int) {
        var starts = Array(stride(from: 0, to: channels - 15, by: 16))
        var masks = Array(repeating: SIMD16<Float>(repeating: 1), count: starts.count)
        if channels % 16 != 0 {
            starts.append(channels - 16)
            let covered = 16 - channels % 16
            var mask = SIMD16<Float>(repeating: 1)
            for lane in 0..<covered { mask[lane] = 0 }
            masks.append(mask)
        }
        self.starts = starts
        self.masks = masks
    }
}
