import Foundation

/// The element types that Cadence reads from and writes to array files.
public enum ElementType: String, Sendable, CaseIterable {
    case float32, float64, float16, bfloat16, uint8, int8, int32, int64, bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .uint8, .int8, .bool: return 1
        }
    }
}

/// A dense, C-ordered array as it sits in a file: element type, shape and little-endian bytes.
///
/// Array files (`.npy`, safetensors, PyTorch checkpoints) all read into and write from this one
/// type; models turn it into tensors.
public struct ArrayData: Sendable, Equatable {
    public var type: ElementType
    public var shape: [Int]
    public var bytes: Data

    public init(type: ElementType, shape: [Int], bytes: Data) {
        self.type = type
        self.shape = shape
        self.bytes = bytes
    }

    /// Wraps Float32 values.
    public init(shape: [Int], floats: [Float]) {
        self.type = .float32
        self.shape = shape
        self.bytes = floats.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// Wraps bytes, for example RGB24 frames.
    public init(shape: [Int], uint8 values: [UInt8]) {
        self.type = .uint8
        self.shape = shape
        self.bytes = Data(values)
    }

    /// Number of elements the shape describes.
    public var count: Int { shape.reduce(1, *) }

    /// The values converted to Float32 (exact for every integer type up to 2^24 and for the float types).
    public func floats() -> [Float] {
        let n = count
        return bytes.withUnsafeBytes { raw -> [Float] in
            switch type {
            case .float32: return (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            case .float64: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
            case .float16:
                return (0..<n).map { Float(halfBits: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            case .bfloat16:
                return (0..<n).map {
                    Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16)
                }
            case .uint8, .bool: return (0..<n).map { Float(raw[$0]) }
            case .int8: return (0..<n).map { Float(Int8(bitPattern: raw[$0])) }
            case .int32: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .int64: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            }
        }
    }
}

extension Float {
    /// Decodes IEEE 754 half precision bits (`Float16` is unavailable on some x86 toolchains).
    init(halfBits h: UInt16) {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            self = sign == 0 ? magnitude : -magnitude
        } else if exponent == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}

extension ArrayData {
    /// The same values stored as IEEE 754 half precision (rounded to nearest, ties to even; beyond
    /// ±65504 they become ±infinity), for float types; other types are returned unchanged. Halves the
    /// size of shipped weights at about three significant digits.
    public func halfPrecision() -> ArrayData {
        guard [.float32, .float64, .bfloat16].contains(type) else { return self }
        let bits = floats().map(Float.halfBits)
        return ArrayData(type: .float16, shape: shape, bytes: bits.withUnsafeBufferPointer { Data(buffer: $0) })
    }
}

extension Float {
    /// IEEE 754 half precision bits of `value`, rounded to nearest with ties to even.
    static func halfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
        let unbiased = exponent - 127
        if unbiased > 15 { return sign | 0x7C00 }
        if unbiased >= -14 {
            // Normal half: keep 10 mantissa bits, round the 13 dropped ones; a carry may bump the exponent.
            var half = UInt32(unbiased + 15) << 10 | (mantissa >> 13)
            let rest = mantissa & 0x1FFF
            if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }
            return sign | UInt16(min(half, 0x7C00))
        }
        if unbiased < -25 { return sign }
        // Subnormal half: the value in units of 2^-24, rounded to nearest even.
        let full = mantissa | 0x80_0000
        let shift = UInt32(-unbiased - 1)  // 14 ... 24 bits dropped
        var half = full >> shift
        let rest = full & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
        if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
}
