import CFFmpeg

/// An exact fraction as FFmpeg stores time bases and frame rates.
public struct Rational: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    init(_ value: AVRational) {
        self.init(Int(value.num), Int(value.den))
    }

    /// The value as a Double, or nil when the fraction is undefined (FFmpeg writes 0/0 for "unknown").
    public var value: Double? {
        guard numerator != 0, denominator != 0 else { return nil }
        return Double(numerator) / Double(denominator)
    }

    public var description: String { "\(numerator)/\(denominator)" }
}
