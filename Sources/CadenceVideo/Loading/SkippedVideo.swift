/// A file the loader could not use, and why (`reason` is the decoder's explanation, without the path).
public struct SkippedVideo: Sendable, Equatable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
