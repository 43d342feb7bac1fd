/// Branch-free scalar math that the compiler vectorises inside the elementwise loops (the C
/// library's `expf` is an opaque call per element, several times slower).
@usableFromInline
enum FastMath {
    /// `e^x` within about 2 ulp of the exact result for normal results; 0 below
    /// `ln(Float.leastNormalMagnitude)`, infinity above `ln(Float.greatestFiniteMagnitude)`,
    /// NaN for NaN.
    @usableFromInline @inline(__always)
    static func exp(_ x: Float) -> Float {
        let lowest: Float = -87.33654, highest: Float = 88.72283
        let (poly, k) = reduced(Swift.min(Swift.max(x, lowest), highest))
        // 2^k as two factors, each a normal float for every k in [-126, 128].
        let half = k >> 1
        let scaleA = Float(bitPattern: UInt32(bitPattern: (half &+ 127) << 23))
        let scaleB = Float(bitPattern: UInt32(bitPattern: (k &- half &+ 127) << 23))
        let result = poly * scaleA * scaleB
        return x < lowest ? 0 : (x > highest ? .infinity : result)
    }

    /// `e^x` for `x <= 0` with one scale factor and no range selects (a fifth faster in the sigmoid):
    /// clamped at -88, where `k` reaches -127 and the scale's bit pattern, so the result, is 0.
    @usableFromInline @inline(__always)
    static func expOfNonPositive(_ x: Float) -> Float {
        let (poly, k) = reduced(Swift.max(x, -88))
        return poly * Float(bitPattern: UInt32(bitPattern: (k &+ 127) << 23))
    }

    /// `e^x = poly * 2^k` for `x` already clamped to the finite range.
    @usableFromInline @inline(__always)
    static func reduced(_ x: Float) -> (poly: Float, k: Int32) {
        // Adding 1.5 * 2^23 rounds x / ln 2 to the nearest integer n, which then sits in the low
        // bits of the sum's bit pattern.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let k = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        // r = x - n ln 2, with ln 2 split in two so the product is exact.
        let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4
        // Minimax polynomial for e^r on [-ln2/2, ln2/2] (the Cephes expf coefficients).
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        return (p * r * r + r + 1, k)
    }

    /// The error function within 1.5e-7 (Abramowitz and Stegun 7.1.26), through `exp` above: GELU's
    /// libm `erff` call per element was the largest cost outside GEMM in MViT.
    @usableFromInline @inline(__always)
    static func erf(_ x: Float) -> Float {
        let a = Swift.abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p: Float = 1.061_405_429
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let y = 1 - p * t * expOfNonPositive(-a * a)
        return x < 0 ? -y : y
    }

    /// Logistic function `1 / (1 + e^-x)`, without overflow for large |x|.
    @usableFromInline @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        let e = expOfNonPositive(-Swift.abs(x))
        let inverse = 1 / (1 + e)
        return x >= 0 ? inverse : e * inverse
    }
}

extension FastMath {
    /// Sum of `n` floats: 16 lanes in Float over blocks of 1024 elements, blocks added in Double,
    /// so it vectorises yet stays close to an exact sum for long rows.
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        var total = 0.0
        var i = 0
        let raw = UnsafeRawPointer(p)
        while n - i >= 16 {
            let stop = i + Swift.min(1024, (n - i) / 16 * 16)
            var lanes = SIMD16<Float>()
            while i < stop {
                lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                i += 16
            }
            total += Double(lanes.sum())
        }
        while i < n {
            total += Double(p[i])
            i += 1
        }
        return total
    }
}
