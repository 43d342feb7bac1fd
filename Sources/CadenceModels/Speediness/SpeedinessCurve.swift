/// Per-frame speediness of a video from SpeedNet's window probabilities (reference A4): for each
/// re-timing factor x, `P_x(window) = sigmoid(logit)` is spread over the source frames the window
/// spans and averaged where windows overlap; the speediness of a frame is the largest factor that
/// still looks natural (`P_x < 0.5`), or 1 when none does.
public struct SpeedinessCurve: Sendable, Equatable {
    /// SpeedNet's verdict on one re-timed window.
    public struct Window: Sendable, Equatable {
        public var factor: Double
        /// First and last source frames the window takes.
        public var firstFrame: Int
        public var lastFrame: Int
        /// Probability that the window looks sped up.
        public var probability: Double

        public init(factor: Double, firstFrame: Int, lastFrame: Int, probability: Double) {
            self.factor = factor
            self.firstFrame = firstFrame
            self.lastFrame = lastFrame
            self.probability = probability
        }
    }

    /// The factors that had at least one window, ascending.
    public let factors: [Double]
    /// `probabilities[f][t]`: P of "sped up" at `factors[f]` for source frame `t`.
    public let probabilities: [[Double]]
    /// Speediness of each source frame.
    public let speediness: [Double]
    public let fps: Double

    /// Aggregates windows over a video of `frameCount` frames. Frames no window of a factor covers
    /// (when the stride exceeds the window span) take the value of the nearest covered frame.
    public init(windows: [Window], frameCount: Int, fps: Double) throws {
        guard frameCount > 0, fps > 0 else {
            throw ModelError("speediness", "needs a video with frames and a frame rate, got \(frameCount) frames at \(fps) fps")
        }
        let factors = Set(windows.map(\.factor)).sorted()
        guard !factors.isEmpty else { throw ModelError("speediness", "no window fits in \(frameCount) frames") }
        var probabilities: [[Double]] = []
        for factor in factors {
            var sum = [Double](repeating: 0, count: frameCount), count = [Int](repeating: 0, count: frameCount)
            for window in windows where window.factor == factor {
                let first = max(window.firstFrame, 0), last = min(window.lastFrame, frameCount - 1)
                guard first <= last else { continue }
                for t in first...last {
                    sum[t] += window.probability
                    count[t] += 1
                }
            }
            probabilities.append(Self.fillGaps(sum.indices.map { count[$0] > 0 ? sum[$0] / Double(count[$0]) : nil }))
        }
        self.factors = factors
        self.probabilities = probabilities
        self.fps = fps
        speediness = (0..<frameCount).map { t in Self.speediness(factors: factors, probabilities: probabilities.map { $0[t] }) }
    }

    /// The inference rule: the largest factor whose probability of "sped up" is below 0.5, or 1
    /// when every factor looks sped up (the content is already at or above natural speed).
    public static func speediness(factors: [Double], probabilities: [Double]) -> Double {
        zip(factors, probabilities).filter { $0.1 < 0.5 }.map(\.0).max() ?? 1
    }

    public var frameCount: Int { speediness.count }

    /// One row of the per-segment table: `frames` source frames, the mean probability at each factor
    /// and the speediness that rule gives for those means.
    public struct Segment: Sendable, Equatable {
        public var firstFrame: Int
        public var lastFrame: Int
        public var startTime: Double
        public var endTime: Double
        public var probabilities: [Double]
        public var speediness: Double
    }

    /// The curve cut into consecutive segments of `frames` source frames (the last may be shorter).
    public func segments(frames: Int) -> [Segment] {
        let length = max(frames, 1)
        return Swift.stride(from: 0, to: frameCount, by: length).map { first in
            let last = min(first + length, frameCount) - 1
            let means = probabilities.map { p in p[first...last].reduce(0, +) / Double(last - first + 1) }
            return Segment(firstFrame: first, lastFrame: last, startTime: Double(first) / fps,
                           endTime: Double(last + 1) / fps, probabilities: means,
                           speediness: Self.speediness(factors: factors, probabilities: means))
        }
    }

    private static func fillGaps(_ values: [Double?]) -> [Double] {
        let covered = values.indices.filter { values[$0] != nil }
        guard !covered.isEmpty else { return values.map { $0 ?? 0.5 } }
        var nearest = 0
        return values.indices.map { t in
            if let v = values[t] { return v }
            while nearest + 1 < covered.count, abs(covered[nearest + 1] - t) <= abs(covered[nearest] - t) { nearest += 1 }
            return values[covered[nearest]] ?? 0.5
        }
    }
}
