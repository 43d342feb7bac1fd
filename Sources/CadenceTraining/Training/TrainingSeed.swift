/// Derives independent 64-bit seeds from a run seed and a path of integers (epoch, step, clip
/// position, purpose), so every random draw of a run is a pure function of where it happens: a run
/// resumed at epoch k draws exactly what an uninterrupted run draws there.
public enum TrainingSeed {
    /// Purposes that keep the derived streams of one epoch apart.
    public enum Stream: UInt64, Sendable {
        case shuffle = 1, clip = 2, dropout = 3, samplingRate = 4, initialisation = 5, classifier = 6
    }

    /// A seed for `stream` at `path` (SplitMix64 finalisation folded over the parts).
    public static func derive(_ seed: UInt64, _ stream: Stream, _ path: Int...) -> UInt64 {
        var h = mix(seed ^ 0x9E37_79B9_7F4A_7C15)
        h = mix(h ^ stream.rawValue)
        for part in path { h = mix(h &+ UInt64(bitPattern: Int64(part))) }
        return h
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
