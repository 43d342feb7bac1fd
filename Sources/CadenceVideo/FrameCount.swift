/// How many frames a video has, and whether the number is known or only estimated.
public enum FrameCount: Equatable, Sendable, CustomStringConvertible {
    /// Counted from the packets of the video stream (every frame in presentation order).
    case exact(Int)
    /// Taken from the container header or from duration × frame rate; may be off by a few frames.
    case estimated(Int)

    public var value: Int {
        switch self {
        case let .exact(n), let .estimated(n): return n
        }
    }

    public var isExact: Bool {
        if case .exact = self { return true }
        return false
    }

    public var description: String { isExact ? "\(value)" : "~\(value)" }
}
