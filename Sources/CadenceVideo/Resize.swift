/// The size decoded frames are scaled to (with swscale, bicubic, as the `ffmpeg` CLI scales).
/// Sizes are in the upright orientation, after rotation.
public enum Resize: Equatable, Sendable {
    /// The shorter side becomes `S`; the longer keeps the aspect ratio, rounded down
    /// (PySlowFast's short-side rule, `SpatialSampling.scaledSize`).
    case shortSide(Int)
    /// Exactly `width`×`height`, aspect ratio not kept.
    case exact(width: Int, height: Int)

    /// The output size for an upright picture of `width`×`height`, or nil when the request is impossible.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int)? {
        switch self {
        case let .shortSide(side):
            guard side > 0, width > 0, height > 0 else { return nil }
            let size = SpatialSampling.scaledSize(width: width, height: height, shortSide: side)
            return (max(1, size.width), max(1, size.height))
        case let .exact(w, h):
            guard w > 0, h > 0 else { return nil }
            return (w, h)
        }
    }
}
