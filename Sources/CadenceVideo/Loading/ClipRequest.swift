/// One clip for the loader to decode and transform: which video, which of its frames, which crop.
///
/// Every random choice made for the clip (start frame, scale jitter, crop offset, flip) is drawn
/// from a generator seeded with `seed`, so a clip is the same whichever thread decodes it and
/// whether the run was interrupted and resumed.
public struct ClipRequest: Sendable, Equatable {
    /// Which frames of the video the clip takes.
    public enum Timing: Sendable, Equatable {
        /// A clip starting uniformly at random (`TemporalSampling.randomClip`): training.
        case random
        /// Test view `index` of `count` uniformly spaced clips (`TemporalSampling.testClip`).
        case view(index: Int, count: Int)
        /// One member of a SpeedNet training pair (`SpeedinessSampling.trainingPair`, drawn with the
        /// request's generator): the normal clip, or the sped-up one when `spedUp`. The two members
        /// of a pair share a seed, so they start at the same frame and get the same crop and flip,
        /// and differ only in speed. `samplingRate` is unused.
        case speedPair(spedUp: Bool)
        /// Re-timed window `index` of `count` spread evenly over the video, taking every `factor`-th
        /// source frame (`SpeedinessSampling.retimedWindow`): SpeedNet's validation and inference.
        /// `samplingRate` is unused.
        case retimed(index: Int, count: Int, factor: Double)
    }

    /// How each frame is scaled and cropped to a `crop x crop` square.
    public enum Framing: Sendable, Equatable {
        /// Short side jittered in `jitter`, a random `crop` square, a horizontal flip half the time
        /// when `flip` (`SpatialSampling.training`).
        case training(jitter: ClosedRange<Int>, crop: Int, flip: Bool)
        /// Short side scaled to `shortSide`, then crop `index` of `count` (1 centre, 3 along the long
        /// side; `SpatialSampling.testing`).
        case testing(shortSide: Int, crop: Int, index: Int, count: Int)
    }

    /// Index of the video in the loader's list.
    public var video: Int
    /// Frames in the clip and the spacing between them at 30 fps (`TemporalSampling`).
    public var frames: Int
    public var samplingRate: Int
    public var timing: Timing
    public var framing: Framing
    public var seed: UInt64

    public init(video: Int, frames: Int, samplingRate: Int, timing: Timing, framing: Framing, seed: UInt64) {
        self.video = video
        self.frames = frames
        self.samplingRate = samplingRate
        self.timing = timing
        self.framing = framing
        self.seed = seed
    }

    /// Side of the square frames the clip ends up with.
    public var crop: Int {
        switch framing {
        case let .training(_, crop, _), let .testing(_, crop, _, _): return crop
        }
    }
}
