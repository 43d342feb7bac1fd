/// Damage met while decoding: corrupt packets are skipped and decoding continues, so callers
/// read this to learn what was lost.
public struct DecodeDamage: Equatable, Sendable {
    /// Packets the decoder rejected.
    public var corruptPackets = 0
    /// Frames the decoder produced but flagged as damaged (concealed errors).
    public var corruptFrames = 0
    /// Read errors from the container before its end (a truncated or damaged file).
    public var readErrors = 0
    /// FFmpeg's last complaint, for the report.
    public var lastMessage: String?

    public init() {}

    /// True when nothing went wrong.
    public var isEmpty: Bool { corruptPackets == 0 && corruptFrames == 0 && readErrors == 0 }
}
