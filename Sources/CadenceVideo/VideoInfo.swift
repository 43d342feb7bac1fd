/// What probing a file tells about its video stream.
public struct VideoInfo: Equatable, Sendable {
    /// The file this describes.
    public var path: String
    /// FFmpeg's name for the container format, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`.
    public var container: String
    /// FFmpeg's name for the video codec, e.g. `h264`.
    public var codec: String
    /// The decoded pixel format, e.g. `yuv420p` (empty when FFmpeg does not know it before decoding).
    public var pixelFormat: String
    /// Stored (coded) width and height, before rotation.
    public var width: Int
    public var height: Int
    /// How decoded pictures are turned to appear upright (from the stream's display matrix).
    public var rotation: Rotation
    /// The frame rate averaged over the stream, when known.
    public var averageFrameRate: Rational
    /// FFmpeg's "real" base frame rate (the lowest rate that represents all timestamps exactly).
    public var realFrameRate: Rational
    /// Length of the video stream in seconds (of the container when the stream does not say).
    public var duration: Double
    /// Presentation time of the first frame, in seconds.
    public var startTime: Double
    /// Number of frames: exact once the packets were indexed, estimated before.
    public var frameCount: FrameCount
    /// The unit of the stream's timestamps.
    public var timeBase: Rational
    /// Whether the file also carries an audio stream.
    public var hasAudio: Bool

    /// Width of the upright picture (after rotation).
    public var displayWidth: Int { rotation.swapsAxes ? height : width }
    /// Height of the upright picture (after rotation).
    public var displayHeight: Int { rotation.swapsAxes ? width : height }
}
