import CadenceModels
import CadenceVideo
import Foundation

/// Every option that decides what a speediness run computes; saved in `RUN/run.json` with the video
/// counts, and a run resumes only when they are the same.
public struct SpeedinessConfiguration: Codable, Sendable, Equatable {
    public var format = "cadence-speediness-run/1"
    /// The optimizer, schedule, epochs, seed and checkpoint options. `batchSize` counts pairs (each
    /// pair is two clips in the batch), `frames` is the clip length, `testCrop` the validation size,
    /// and `validationTemporalViews` the windows per video and factor at validation.
    public var training: TrainingConfiguration
    /// The network: backbone widths, window frames, inference input size, normalisation.
    public var speedNet: SpeedNetConfig
    /// Training clips are `side x side` with `side` drawn per batch from `sizes[0]...sizes[1]`.
    public var sizes: [Int]
    /// Pairs drawn from each training video per epoch (each from its own place), so that a few
    /// long videos give an epoch enough iterations.
    public var pairsPerVideo = 1
    public var trainVideos: Int
    public var validationVideos: Int

    enum CodingKeys: String, CodingKey {
        case format, training, sizes
        case speedNet = "speednet", pairsPerVideo = "pairs_per_video", trainVideos = "train_videos", validationVideos = "validation_videos"
    }

    /// Named backbones: `xs` is X3D-XS; `tiny` a narrow, shallow one for tests and quick trials.
    public static func backbone(named name: String) throws -> SpeedNetConfig {
        switch name {
        case "xs": return .xs
        case "tiny":
            var config = SpeedNetConfig.xs
            config.dimC1 = 4
            config.widthFactor = 1
            config.depthFactor = 0.5
            config.bottleneckFactor = 1.5
            return config
        default: throw TrainingError("--backbone", "must be xs or tiny, got \"\(name)\"")
        }
    }

    /// A configuration whose `training` fields mirror the speediness choices (its `crop` and `jitter`
    /// are the largest training size, `testCrop` the network's input size).
    public init(speedNet: SpeedNetConfig, sizes: ClosedRange<Int>, epochs: Int = 10, batchPairs: Int = 4) throws {
        var training = TrainingConfiguration(preset: try ModelPreset.named("x3d_xs"), epochs: epochs, batchSize: batchPairs)
        training.model = "speednet"
        training.frames = speedNet.frames
        training.samplingRate = 1
        training.crop = sizes.upperBound
        training.jitter = [sizes.upperBound, sizes.upperBound]
        training.testCrop = speedNet.inputSize
        training.validationTemporalViews = 4
        self.training = training
        self.speedNet = speedNet
        self.sizes = [sizes.lowerBound, sizes.upperBound]
        trainVideos = 0
        validationVideos = 0
    }

    /// Throws when an option is out of range, naming it.
    public func validate() throws {
        // The clip sizes first: the training options' own checks would name --crop for them.
        guard sizes.count == 2, sizes[0] >= SpeedNet.minimumSide, sizes[0] <= sizes[1], sizes[1] <= SamplingLimits.side else {
            throw TrainingError("--sizes", "must be A:B with \(SpeedNet.minimumSide) <= A <= B <= \(SamplingLimits.side)")
        }
        try TrainingConfiguration.checkInputFits(batch: training.batchSize, frames: training.frames, side: sizes[1],
                                                 options: "--batch, --frames and --sizes")
        try training.validate()
        try speedNet.validate()
        // Pairs per video times videos is an epoch's length, so this stays far from overflowing.
        guard (1...10_000).contains(pairsPerVideo) else { throw TrainingError("--pairs-per-video", "must be from 1 to 10000") }
        guard speedNet.frames == training.frames, speedNet.inputSize == training.testCrop else {
            throw TrainingError("speediness configuration", "the network's frames and input size must match the clips'")
        }
    }
}
