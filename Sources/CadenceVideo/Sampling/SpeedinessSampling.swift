/// Which source frames SpeedNet sees, as pure index math: jittered normal/sped-up training pairs
/// and the re-timed windows of inference (shared/reference/speednet-and-tokens.md, A2 and A4).
public enum SpeedinessSampling {
    /// Skip factors of a normal-speed training clip: each source frame is kept with probability `1/f`.
    public static let normalFactors: ClosedRange<Double> = 1.0...1.2
    /// Skip factors of a sped-up training clip (about 2x, never an exact stride).
    public static let spedUpFactors: ClosedRange<Double> = 1.7...2.2

    /// One self-supervised training sample: the same place in a video at normal speed (label 0) and
    /// sped up (label 1). Both clips have the same length and start at the same source frame.
    public struct Pair: Sendable, Equatable {
        public var normal: [Int]
        public var spedUp: [Int]
        /// The skip factors drawn for each clip.
        public var normalFactor: Double
        public var spedUpFactor: Double
    }

    /// Offsets (from the start frame) of a clip of `frames` frames that keeps each source frame with
    /// probability `1/factor`. The first frame is always kept, so offsets start at 0 and increase.
    public static func jitteredOffsets<G: RandomNumberGenerator>(
        frames: Int, factor: Double, using generator: inout G
    ) -> [Int] {
        guard frames > 0 else { return [] }
        let keep = 1 / max(factor, 1)
        var offsets = [0]
        var offset = 0
        while offsets.count < frames {
            offset += 1
            if Double.random(in: 0..<1, using: &generator) < keep { offsets.append(offset) }
        }
        return offsets
    }

    /// A training pair of `frames`-frame clips from a video of `videoFrames` frames: skip factors are
    /// drawn from `normalFactors` and `spedUpFactors`, the clips' offsets are drawn, and then the
    /// shared start is drawn uniformly among the starts where both clips fit. Nil when the video is
    /// too short for the drawn sped-up clip (the caller picks another clip or video: padding with
    /// repeated frames would give the answer away).
    public static func trainingPair<G: RandomNumberGenerator>(
        videoFrames: Int, frames: Int, using generator: inout G
    ) -> Pair? {
        guard frames > 0 else { return nil }
        let normalFactor = Double.random(in: normalFactors, using: &generator)
        let spedUpFactor = Double.random(in: spedUpFactors, using: &generator)
        let normal = jitteredOffsets(frames: frames, factor: normalFactor, using: &generator)
        let spedUp = jitteredOffsets(frames: frames, factor: spedUpFactor, using: &generator)
        let span = max(normal.last ?? 0, spedUp.last ?? 0) + 1
        guard span <= videoFrames else { return nil }
        let start = Int.random(in: 0...(videoFrames - span), using: &generator)
        return Pair(normal: normal.map { start + $0 }, spedUp: spedUp.map { start + $0 },
                    normalFactor: normalFactor, spedUpFactor: spedUpFactor)
    }

    /// The source frames of the re-timed window at `position`: output frame `k` (0..<frames) is
    /// source frame `round(position + k * factor)` (halves round away from zero).
    public static func retimedWindow(position: Int, frames: Int, factor: Double) -> [Int] {
        (0..<max(frames, 0)).map { Int((Double(position) + Double($0) * factor).rounded()) }
    }

    /// Source frames one re-timed window spans: `round((frames - 1) * factor) + 1`.
    public static func windowSpan(frames: Int, factor: Double) -> Int {
        frames > 0 ? Int((Double(frames - 1) * factor).rounded()) + 1 : 0
    }

    /// Start positions of the re-timed windows at `factor` over a video of `videoFrames` frames:
    /// every `stride` source frames while the window fits, plus one window ending at the last frame
    /// so the end of the video is covered. Empty when the video is shorter than one window.
    public static func windowPositions(videoFrames: Int, frames: Int, factor: Double, stride: Int) -> [Int] {
        let span = windowSpan(frames: frames, factor: factor)
        guard frames > 0, span <= videoFrames, stride > 0 else { return [] }
        let lastStart = videoFrames - span
        var positions = Array(Swift.stride(from: 0, through: lastStart, by: stride))
        if positions.last != lastStart { positions.append(lastStart) }
        return positions
    }
}
