/// Inverted-dropout masks: each element is 0 with probability `p`, else `1 / (1 - p)`, so the
/// forward pass is `y = x * mask` and the backward pass `dx = dy * mask`.
public enum DropoutMask {
    /// Elements drawn from one generator stream; streams are seeded from `seed` and the chunk index,
    /// so a mask depends only on `seed`, never on the thread count.
    static let chunk = 1 << 14

    /// Fills `mask` with `count` values for drop probability `p` (0 ≤ p < 1).
    public static func fill(_ mask: UnsafeMutablePointer<Float>, count: Int, probability p: Float, seed: UInt64) {
        let keep = 1 - p
        let scale: Float = keep > 0 ? 1 / keep : 0
        Parallel.forEach((count + chunk - 1) / chunk) { c in
            var state = seed &+ UInt64(c) &* 0x9E37_79B9_7F4A_7C15
            for i in (c * chunk)..<min(count, (c + 1) * chunk) {
                // SplitMix64; the top 24 bits give a uniform float in [0, 1).
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let u = Float(z >> 40) * (1.0 / 16_777_216.0)
                mask[i] = u < p ? 0 : scale
            }
        }
    }

    /// `x[i] *= mask[i]` in place (forward, or backward on the gradient).
    public static func apply(_ mask: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach((count + chunk - 1) / chunk) { c in
            for i in (c * chunk)..<min(count, (c + 1) * chunk) { x[i] *= mask[i] }
        }
    }
}
