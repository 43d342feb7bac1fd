/// A video file could not be written; the message names the file and the reason.
public struct VideoWriterError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(path): \(reason)" }
}
