/// Why a video could not be read. Every case names the file; `description` reads
/// `cannot decode clips/x.mp4: no video stream`.
public enum VideoError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No file at the path.
    case fileNotFound(path: String)
    /// The file has zero bytes.
    case emptyFile(path: String)
    /// FFmpeg recognizes no container in the file (random bytes, text, a file cut off before its header ends).
    case unrecognizedFormat(path: String, detail: String)
    /// The file opened but could not be read (permissions, I/O errors, a damaged header).
    case unreadable(path: String, detail: String)
    /// The container holds no video stream (an audio-only file, for example).
    case noVideoStream(path: String)
    /// The file is a single picture (PNG, JPEG, ...), not a video.
    case stillImage(path: String, format: String)
    /// The video stream uses a codec this FFmpeg build cannot decode.
    case unsupportedCodec(path: String, codec: String)
    /// Decoding produced no frame at all.
    case noFrames(path: String, detail: String)
    /// A requested frame index lies outside `0..<frameCount`.
    case frameOutOfRange(path: String, index: Int, frameCount: Int)
    /// A requested time lies outside the video.
    case timeOutOfRange(path: String, seconds: Double, duration: Double)
    /// A caller asked for something impossible, such as a zero output size.
    case invalidRequest(path: String, detail: String)
    /// FFmpeg failed while decoding in a way that decoding cannot continue past.
    case decodeFailed(path: String, detail: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .fileNotFound(path), let .emptyFile(path), let .unrecognizedFormat(path, _),
             let .unreadable(path, _), let .noVideoStream(path), let .stillImage(path, _),
             let .unsupportedCodec(path, _), let .noFrames(path, _), let .frameOutOfRange(path, _, _),
             let .timeOutOfRange(path, _, _), let .invalidRequest(path, _), let .decodeFailed(path, _):
            return path
        }
    }

    /// The cause alone, without the file name.
    public var cause: String {
        switch self {
        case .fileNotFound: return "no such file"
        case .emptyFile: return "the file is empty"
        case let .unrecognizedFormat(_, detail): return "not a video format FFmpeg recognizes (\(detail))"
        case let .unreadable(_, detail): return "unreadable: \(detail)"
        case .noVideoStream: return "no video stream"
        case let .stillImage(_, format): return "a still image (\(format)), not a video"
        case let .unsupportedCodec(_, codec): return "no decoder for codec '\(codec)' in this FFmpeg build"
        case let .noFrames(_, detail): return "no frame could be decoded (\(detail))"
        case let .frameOutOfRange(_, index, count): return "frame \(index) is out of range (the video has \(count) frames)"
        case let .timeOutOfRange(_, seconds, duration):
            return "time \(seconds)s is out of range (the video lasts \(duration)s)"
        case let .invalidRequest(_, detail): return detail
        case let .decodeFailed(_, detail): return "decoding failed: \(detail)"
        }
    }

    public var description: String { "cannot decode \(path): \(cause)" }
}
