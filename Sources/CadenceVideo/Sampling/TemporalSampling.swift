/// Which source frames one clip takes, as pure index math following PySlowFast's
/// `decoder.get_start_end_idx` and `temporal_sampling`.
///
/// A clip is `frames` frames spaced `samplingRate` apart at `targetFPS` (30 by default), so it spans
/// `samplingRate * frames / targetFPS` seconds of the source whatever its frame rate.
public struct TemporalSampling: Sendable, Equatable {
    public var frames: Int
    public var samplingRate: Int
    public var targetFPS: Double

    public init(frames: Int, samplingRate: Int, targetFPS: Double = 30) {
        self.frames = frames
        self.samplingRate = samplingRate
        self.targetFPS = targetFPS
    }

    /// Source frames one clip spans: `max(1, samplingRate * frames / targetFPS * fps)`.
    public func clipSize(videoFPS: Double) -> Double {
        max(1, Double(samplingRate * frames) / targetFPS * videoFPS)
    }

    /// A training (and PySlowFast validation) clip: the start is drawn uniformly from `[0, delta]`.
    public func randomClip<G: RandomNumberGenerator>(
        videoFrames: Int, videoFPS: Double, using generator: inout G
    ) -> [Int] {
        let size = clipSize(videoFPS: videoFPS)
        let delta = max(Double(videoFrames) - size, 0)
        let start = delta > 0 ? Double.random(in: 0..<delta, using: &generator) : 0
        return indices(start: start, clipSize: size, videoFrames: videoFrames)
    }

    /// Test view `view` of `views` uniform temporal views: the start is `delta * view / views`
    /// (so the last view starts at `(views-1)/views * delta`). With `offsetSampling` (MViT's
    /// `USE_OFFSET_SAMPLING`) starts are `view * floor(delta / (views - 1))`, or the centre for one view.
    public func testClip(view: Int, of views: Int, videoFrames: Int, videoFPS: Double, offsetSampling: Bool = false) -> [Int] {
        let size = clipSize(videoFPS: videoFPS)
        let delta = max(Double(videoFrames) - size, 0)
        let start: Double
        if offsetSampling {
            start = views == 1 ? delta / 2 : Double(view) * (delta / Double(views - 1)).rounded(.down)
        } else {
            start = delta * Double(view) / Double(views)
        }
        return indices(start: start, clipSize: size, videoFrames: videoFrames)
    }

    /// The frame indices of a clip starting at `start`: `linspace(start, start + clipSize - 1, frames)`,
    /// clamped to the video and truncated.
    public func indices(start: Double, clipSize: Double, videoFrames: Int) -> [Int] {
        truncatedIndices(start, start + clipSize - 1, count: frames, upper: max(videoFrames - 1, 0))
    }
}
