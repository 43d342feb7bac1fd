import Foundation

/// A small, fast, seedable random generator (xoshiro256**, seeded through SplitMix64) whose whole
/// state can be saved and restored, so that a resumed training run draws the same numbers.
public struct TensorRandom: RandomNumberGenerator, Equatable, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four state words; save them with a checkpoint and pass them to `init(state:)`.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator determined by `seed`.
    public init(seed: UInt64) {
        var mix = seed
        s0 = TensorRandom.splitMix(&mix)
        s1 = TensorRandom.splitMix(&mix)
        s2 = TensorRandom.splitMix(&mix)
        s3 = TensorRandom.splitMix(&mix)
    }

    /// A generator continuing from a saved `state`.
    public init(state: [UInt64]) throws {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw TensorError("TensorRandom(state:)", "needs four state words, not all zero")
        }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = TensorRandom.rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = TensorRandom.rotate(s3, 45)
        return result
    }

    /// Uniform in `[0, 1)` with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal pair by the Box-Muller transform (computed in Double).
    public mutating func nextNormalPair() -> (Float, Float) {
        // 53-bit uniform in (0, 1]: never 0, so the logarithm is finite.
        let u1 = Double((next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (Float(radius * Foundation.cos(angle)), Float(radius * Foundation.sin(angle)))
    }
}

extension Tensor {
    /// Normally distributed values with `mean` and `std`, drawn from `generator`.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, std: Float = 1, using generator: inout TensorRandom, requiresGrad: Bool = false
    ) -> Tensor {
        let t = Tensor(shape: shape.map { Swift.max($0, 0) }) { buffer in
            var i = 0
            while i < buffer.count {
                let (a, b) = generator.nextNormalPair()
                buffer[i] = mean + std * a
                if i + 1 < buffer.count { buffer[i + 1] = mean + std * b }
                i += 2
            }
        }
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniformly distributed values in `[low, high)`, drawn from `generator`.
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout TensorRandom, requiresGrad: Bool = false
    ) -> Tensor {
        let t = Tensor(shape: shape.map { Swift.max($0, 0) }) { buffer in
            for i in 0..<buffer.count { buffer[i] = low + (high - low) * generator.nextUniform() }
        }
        t.requiresGrad = requiresGrad
        return t
    }
}
