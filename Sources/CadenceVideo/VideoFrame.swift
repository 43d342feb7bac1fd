/// One decoded picture: upright, RGB24, rows packed top to bottom (`height × width × 3` bytes).
public struct VideoFrame: Equatable, Sendable {
    /// Position in presentation order, counting from 0.
    public var index: Int
    /// Presentation time in seconds from the start of the stream.
    public var timestamp: Double
    public var width: Int
    public var height: Int
    /// `height × width × 3` bytes, R, G, B per pixel.
    public var rgb: [UInt8]

    public init(index: Int, timestamp: Double, width: Int, height: Int, rgb: [UInt8]) {
        self.index = index
        self.timestamp = timestamp
        self.width = width
        self.height = height
        self.rgb = rgb
    }
}
