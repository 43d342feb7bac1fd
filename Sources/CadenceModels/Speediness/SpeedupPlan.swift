/// A re-timing of a video: which source frame each output frame shows, written as `plan.json`.
public struct SpeedupPlan: Codable, Sendable, Equatable {
    /// The overall speed-up asked for and the one reached: source frames / output frames.
    public var target: Double
    public var achieved: Double
    /// The range rates were held to and the range they used.
    public var maxAllowedRate: Double
    public var minRate: Double
    public var maxRate: Double
    /// Frame rate of both the source and the output.
    public var fps: Double
    public var sourceFrameCount: Int
    public var outputFrameCount: Int
    /// Per output frame: the rate (source frames advanced per output frame), the source time in
    /// seconds, and the source frame shown (the one on screen at that time).
    public var rates: [Double]
    public var sourceTimes: [Double]
    public var sourceFrames: [Int]
}
