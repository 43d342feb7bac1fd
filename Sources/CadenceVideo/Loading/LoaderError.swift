/// Why `ClipLoader.next()` could not deliver a batch.
public enum LoaderError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A video failed and replacing bad videos is off.
    case badVideo(path: String, reason: String)
    /// A clip needed a replacement but every video failed; lists them all.
    case allVideosBad([SkippedVideo])
    /// A request cannot be satisfied whatever the video (batch and clip positions count from 0).
    case invalidRequest(batch: Int, clip: Int, detail: String)
    /// Mean and standard deviation must have three finite values each, the deviations non-zero.
    case invalidNormalization(mean: [Float], std: [Float])

    public var description: String {
        switch self {
        case let .badVideo(path, reason):
            return "cannot decode \(path): \(reason)"
        case let .allVideosBad(videos):
            return "no video could be decoded: " + videos.map { "\($0.path) (\($0.reason))" }.joined(separator: "; ")
        case let .invalidRequest(batch, clip, detail):
            return "batch \(batch), clip \(clip): \(detail)"
        case let .invalidNormalization(mean, std):
            return "normalisation needs three finite means and three finite non-zero deviations, got mean \(mean), std \(std)"
        }
    }
}
