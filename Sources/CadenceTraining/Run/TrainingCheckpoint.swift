import CadenceVideo
import CadenceNN
import Foundation

/// A resumable training state in one safetensors file: the model's state dict under PySlowFast's
/// keys (plain batch-norm keys, running statistics included), the optimizer's momentum buffers
/// under `optimizer.<parameter>.momentum_buffer`, and in the metadata the epochs done and the run
/// description (the task's `run.json` text). Every other random choice is derived from the seed, epoch and step, so nothing
/// else is needed to continue exactly.
public struct TrainingCheckpoint {
    public static let optimizerPrefix = "optimizer."
    public static let epochKey = "cadence.epochs_done"
    public static let runKey = "cadence.run"

    public var weights: [String: ArrayData]
    public var optimizerState: [String: ArrayData]
    public var epochsDone: Int
    public var run: String

    public init(weights: [String: ArrayData], optimizerState: [String: ArrayData], epochsDone: Int, run: String) {
        self.weights = weights
        self.optimizerState = optimizerState
        self.epochsDone = epochsDone
        self.run = run
    }

    /// Writes the checkpoint atomically (a temporary sibling renamed into place).
    public func write(to url: URL) throws {
        var tensors = weights
        for (key, value) in optimizerState { tensors[TrainingCheckpoint.optimizerPrefix + key] = value }
        try SafetensorsFile.write(tensors, metadata: [
            "format": "pt", TrainingCheckpoint.epochKey: String(epochsDone), TrainingCheckpoint.runKey: run,
        ], to: url)
    }

    public static func read(_ url: URL) throws -> TrainingCheckpoint {
        let contents = try SafetensorsFile.read(url)
        guard let epochs = contents.metadata[epochKey].flatMap({ Int($0) }), let runText = contents.metadata[runKey] else {
            throw TrainingError(url.path, "is not a Cadence training checkpoint (no \(epochKey) / \(runKey) metadata)")
        }
        var weights: [String: ArrayData] = [:], optimizer: [String: ArrayData] = [:]
        for (key, value) in contents.tensors {
            if key.hasPrefix(optimizerPrefix) {
                optimizer[String(key.dropFirst(optimizerPrefix.count))] = value
            } else {
                weights[key] = value
            }
        }
        return TrainingCheckpoint(weights: weights, optimizerState: optimizer, epochsDone: epochs, run: runText)
    }
}
