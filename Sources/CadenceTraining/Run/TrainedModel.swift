import CadenceVideo
import CadenceNN
import Foundation

/// A model that `cadence train` wrote (`RUN/model.safetensors`): weights plus the run description
/// in the metadata, so it can be used without naming its preset, crop or class names.
public struct TrainedModel {
    /// Metadata keys of `model.safetensors` (beside `cadence.run`, the whole run description).
    public static let modelKey = "cadence.model"
    public static let classNamesKey = "cadence.class_names"

    public var run: RunDescription
    public var network: any VideoModel
    /// The preset with the run's clip shape and test crop, for sampling test views.
    public var preset: ModelPreset
    public var classNames: [String] { run.classNames }

    /// Reads `url`; nil when it is a weights file without a Cadence run description.
    public static func read(_ url: URL) throws -> TrainedModel? {
        guard url.pathExtension == "safetensors" else { return nil }
        let contents = try SafetensorsFile.read(url)
        guard let text = contents.metadata[TrainingCheckpoint.runKey] else { return nil }
        let run = try RunDescription.decode(text, source: url.path)
        let network = try run.buildNetwork(seed: 0)
        let weights = contents.tensors.filter { !$0.key.hasPrefix(TrainingCheckpoint.optimizerPrefix) }
        try ModelCheckpoint.load(weights, into: network, source: url.path)
        return TrainedModel(run: run, network: network, preset: try run.samplingPreset())
    }

    /// Writes `network`'s weights with the run description (and the preset name and class names as
    /// their own keys, for other tools) atomically to `url`.
    public static func write(_ network: any VideoModel, run: RunDescription, to url: URL) throws {
        let names = String(decoding: try JSONEncoder().encode(run.classNames), as: UTF8.self)
        try SafetensorsFile.write(network.stateDict(), metadata: [
            "format": "pt", TrainingCheckpoint.runKey: try run.json(), modelKey: run.configuration.model,
            classNamesKey: names,
        ], to: url)
    }
}
