import CadenceModels
import CadenceTensor
import CadenceVideo
import Foundation

/// How well a SpeedNet tells natural speed from 2x on videos: `views` evenly spread windows of each
/// video re-timed at 1x and at 2x (no jitter), centre-cropped square at the network's input size,
/// scored by accuracy (P(sped up) >= 0.5 means sped up) and ROC AUC, over all windows and per video.
/// Each window also gets a model-free reference score, its mean absolute difference between
/// consecutive frames ("more motion means sped up"), so the network's AUC can be read against the
/// AUC of that rule. Training validates with it every epoch; `cadence-bench speediness` runs it on
/// held-out clips.
public struct SpeedinessEvaluation: Sendable {
    /// The factors compared: natural speed and twice as fast.
    public static let factors: (normal: Double, spedUp: Double) = (1, 2)

    public let frames: Int
    public let crop: Int
    public let views: Int
    /// Windows decoded and scored together.
    public let batchSize: Int
    public let mean: [Float]
    public let std: [Float]

    public init(frames: Int, crop: Int, views: Int, batchSize: Int, mean: [Float], std: [Float]) {
        self.frames = frames
        self.crop = crop
        self.views = views
        self.batchSize = batchSize
        self.mean = mean
        self.std = std
    }

    /// The evaluation of `network`'s own input size and normalisation.
    public init(network: SpeedNet, views: Int, batchSize: Int = 16) {
        let c = network.config
        self.init(frames: c.frames, crop: c.inputSize, views: views, batchSize: batchSize,
                  mean: Array(repeating: c.mean, count: 3), std: Array(repeating: c.std, count: 3))
    }

    public struct VideoScore: Sendable {
        public let path: String
        /// P(sped up) of each window at 1x and at 2x.
        public var normal: [Double] = []
        public var spedUp: [Double] = []
        /// Mean absolute frame difference of each window at 1x and at 2x (the reference score).
        public var normalMotion: [Double] = []
        public var spedUpMotion: [Double] = []
        public var auc: Double? { ROCAUC.area(positives: spedUp, negatives: normal) }
        public var motionAUC: Double? { ROCAUC.area(positives: spedUpMotion, negatives: normalMotion) }
    }

    public struct Result: Sendable {
        public let videos: [VideoScore]
        /// Videos that could not be decoded, with the reason.
        public let skipped: [SkippedVideo]
        public var normal: [Double] { videos.flatMap(\.normal) }
        public var spedUp: [Double] { videos.flatMap(\.spedUp) }
        /// Percent of windows on the right side of 0.5.
        public var accuracy: Double {
            let right = normal.filter { $0 < 0.5 }.count + spedUp.filter { $0 >= 0.5 }.count
            return 100 * Double(right) / Double(max(normal.count + spedUp.count, 1))
        }
        public var auc: Double? { ROCAUC.area(positives: spedUp, negatives: normal) }
        /// ROC AUC of the frame-difference reference over all windows.
        public var motionAUC: Double? {
            ROCAUC.area(positives: videos.flatMap(\.spedUpMotion), negatives: videos.flatMap(\.normalMotion))
        }
    }

    /// Per video, `views` windows at 1x then as many at 2x, `batchSize` per batch.
    public func batches(videos: Int) -> [[ClipRequest]] {
        let requests = (0..<videos).flatMap { video in
            [Self.factors.normal, Self.factors.spedUp].flatMap { factor in
                (0..<views).map { index in
                    ClipRequest(video: video, frames: frames, samplingRate: 1,
                                timing: .retimed(index: index, count: views, factor: factor),
                                framing: .testing(shortSide: crop, crop: crop, index: 0, count: 1), seed: 0)
                }
            }
        }
        return stride(from: 0, to: requests.count, by: batchSize).map {
            Array(requests[$0..<min(requests.count, $0 + batchSize)])
        }
    }

    /// Scores `network` (put in evaluation mode and folded here) on `videos`; `progress` gets
    /// (batches done, batches in all).
    public func run(_ network: SpeedNet, videos: [String], makeSource: ClipSourceFactory,
                    progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        let wasTraining = network.isTraining
        network.eval()
        defer { network.train(wasTraining) }
        let folded = try network.folded()
        let planned = batches(videos: videos.count)
        let source = try makeSource(videos, planned, mean, std)
        defer { source.cancel() }
        var scores = videos.map { VideoScore(path: $0) }
        var done = 0
        while let batch = try source.next() {
            let logits = try folded.forward(clip: batch.clips).toArray()
            let motion = Self.meanFrameDifference(batch.clips)
            let plan = planned[done]
            for (row, request) in batch.requests.enumerated() {
                // A window taken from a replacement video does not score the planned one.
                guard row < plan.count, plan[row].video == request.video,
                      case let .retimed(_, _, factor) = request.timing else { continue }
                let probability = 1 / (1 + Foundation.exp(-Double(logits[row])))
                if factor == Self.factors.normal {
                    scores[request.video].normal.append(probability)
                    scores[request.video].normalMotion.append(motion[row])
                } else {
                    scores[request.video].spedUp.append(probability)
                    scores[request.video].spedUpMotion.append(motion[row])
                }
            }
            done += 1
            progress?(done, planned.count)
        }
        let skipped = source.skipped
        let failed = Set(skipped.map(\.path))
        return Result(videos: scores.filter { !failed.contains($0.path) }, skipped: skipped)
    }

    /// Per clip of `clips` (`[N, T, H, W, C]`), the mean absolute difference between consecutive frames.
    static func meanFrameDifference(_ clips: Tensor) -> [Double] {
        let shape = clips.shape
        let (n, t) = (shape[0], shape[1]), frame = shape[2] * shape[3] * shape[4]
        guard t > 1 else { return Array(repeating: 0, count: n) }
        // Read in place: training validation scores every batch, so no copy of the clips.
        return clips.withUnsafeBufferPointer { values in
            (0..<n).map { clip in
                var sum: Float = 0
                for f in 1..<t {
                    let current = (clip * t + f) * frame, previous = current - frame
                    for k in 0..<frame { sum += abs(values[current + k] - values[previous + k]) }
                }
                return Double(sum) / Double((t - 1) * frame)
            }
        }
    }
}
