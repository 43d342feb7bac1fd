/// Damage met while decoding: corrupt packets are skipped and decoding continues, so callers
/// read this to learn what was lost.
public struct DecodeDamage: Equatable, Sendable {
    /// Packets the decoder rejected.
    public var corruptPackets = 0
    /// Frames the decoder produced but flagged as damaged (concealed errors).
    public var corruptFrames = 0
    /// Errors the decoder logged (each usually a damaged slice or frame it concealed). Unlike
    /// `corruptFrames`, this does not depend on frame threading, which can drop FFmpeg's per-frame flags.
    public var decoderErrors = 0
    /// Read errors from the container before its end (a truncated or damaged file).
    public var readErrors = 0
    /// FFmpeg's last complaint, for the report.
    public var lastMessage: String?

    public init() {}

    /// True when nothing went wrong.
    public var isEmpty: Bool { corruptPackets == 0 && corruptFrames == 0 && decoderErrors == 0 && readErrors == 0 }
}
