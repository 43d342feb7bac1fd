import CadenceVideo
import Foundation

/// `RUN/run.json`: everything needed to rebuild and use the trained model (preset, clip shape,
/// crops, normalisation, class names with ids as indices) and the options the run was started with.
/// `model.safetensors` carries the same JSON in its metadata.
public struct RunDescription: Codable, Sendable, Equatable {
    public var format = "cadence-run/1"
    public var configuration: TrainingConfiguration
    /// Class names; a class's id is its index.
    public var classNames: [String]
    public var mean: [Float]
    public var std: [Float]
    /// Total epochs (the multigrid schedule lengthens the run).
    public var epochs: Int
    /// The frames and crop the network's head pools over (the smallest multigrid shape; otherwise
    /// the configured clip).
    public var headFrames: Int
    public var headCrop: Int
    /// Training and validation videos.
    public var trainVideos: Int
    public var validationVideos: Int

    enum CodingKeys: String, CodingKey {
        case format, configuration, mean, std, epochs
        case classNames = "class_names", headFrames = "head_frames", headCrop = "head_crop"
        case trainVideos = "train_videos", validationVideos = "validation_videos"
    }

    public init(configuration: TrainingConfiguration, classNames: [String], preset: ModelPreset, shapes: ClipShapePlan,
                trainVideos: Int, validationVideos: Int) {
        self.configuration = configuration
        self.classNames = classNames
        mean = preset.mean
        std = preset.std
        epochs = shapes.epochs
        headFrames = shapes.smallestShape.frames
        headCrop = shapes.smallestShape.crop
        self.trainVideos = trainVideos
        self.validationVideos = validationVideos
    }

    /// The JSON text (sorted keys, pretty-printed).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ text: String, source: String) throws -> RunDescription {
        do {
            return try JSONDecoder().decode(RunDescription.self, from: Data(text.utf8))
        } catch {
            throw TrainingError(source, "is not a Cadence run description: \(error)")
        }
    }

    /// The preset that samples and tests clips as this run did.
    public func samplingPreset() throws -> ModelPreset {
        let c = configuration
        return try ModelPreset.named(c.model).withClip(frames: c.frames, samplingRate: c.samplingRate, testCrop: c.testCrop)
    }

    /// The network as this run built it (head sized for `headFrames` x `headCrop`), freshly initialised.
    public func buildNetwork(seed: UInt64) throws -> any VideoModel {
        let c = configuration
        return try ModelPreset.named(c.model).withClip(frames: headFrames, samplingRate: c.samplingRate)
            .withTrainCrop(headCrop).build(classes: classNames.count, seed: seed)
    }
}
