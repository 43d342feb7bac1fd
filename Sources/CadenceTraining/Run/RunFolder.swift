import CadenceNN
import CadenceVideo
import Foundation

/// The files of one training run:
///
///     RUN/run.json                   options, preset, clip shape, class names (written at start)
///     RUN/metrics.jsonl              one EpochRecord per line
///     RUN/curves.svg                 loss and accuracy per epoch (rewritten each epoch)
///     RUN/confusion.json             the latest validation confusion matrix
///     RUN/checkpoints/checkpoint_epoch_00005.safetensors   the newest few (Trainer.keepCheckpoints)
///     RUN/model.safetensors          final weights, with run.json in the metadata
///
/// Every file is written whole through a temporary sibling renamed into place.
public struct RunFolder: Sendable {
    public let url: URL

    public init(_ path: String) {
        url = URL(fileURLWithPath: path)
    }

    public var runJSON: URL { url.appendingPathComponent("run.json") }
    public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
    public var curves: URL { url.appendingPathComponent("curves.svg") }
    public var confusion: URL { url.appendingPathComponent("confusion.json") }
    public var checkpoints: URL { url.appendingPathComponent("checkpoints") }
    public var model: URL { url.appendingPathComponent("model.safetensors") }

    /// The checkpoint written after `epochs` epochs.
    public func checkpoint(afterEpochs epochs: Int) -> URL {
        checkpoints.appendingPathComponent(String(format: "checkpoint_epoch_%05d.safetensors", epochs))
    }

    /// The newest checkpoint (zero-padded names sort by epoch), or nil.
    public func latestCheckpoint() -> URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
        return names.filter { $0.hasPrefix("checkpoint_epoch_") && $0.hasSuffix(".safetensors") }.max()
            .map { checkpoints.appendingPathComponent($0) }
    }

    /// Deletes all but the newest `count` checkpoints (a run needs only its newest to resume).
    public func pruneCheckpoints(keeping count: Int) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
        let ordered = names.filter { $0.hasPrefix("checkpoint_epoch_") && $0.hasSuffix(".safetensors") }.sorted()
        for name in ordered.dropLast(count) {
            do {
                try FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name))
            } catch {
                throw TrainingError(checkpoints.appendingPathComponent(name).path, "cannot be removed: \(FileErrorReason.of(error))")
            }
        }
    }

    /// Creates the folder and its checkpoints folder.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        } catch {
            throw TrainingError(url.path, "cannot create the run folder: \(FileErrorReason.of(error))")
        }
    }

    /// The saved run description, or nil when the folder has none.
    public func description() throws -> RunDescription? {
        guard let data = FileManager.default.contents(atPath: runJSON.path) else { return nil }
        return try RunDescription.decode(String(decoding: data, as: UTF8.self), source: runJSON.path)
    }

    /// The records of `metrics.jsonl` (none when it does not exist).
    public func records() throws -> [EpochRecord] {
        guard let data = FileManager.default.contents(atPath: metrics.path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { line, text in
            do {
                return try JSONDecoder().decode(EpochRecord.self, from: Data(text.utf8))
            } catch {
                throw TrainingError("\(metrics.path):\(line + 1)", "is not an epoch record: \(error)")
            }
        }
    }

    /// Rewrites `metrics.jsonl` to hold exactly `records`.
    public func writeRecords(_ records: [EpochRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let lines = try records.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }
        try write(lines.joined(), to: metrics)
    }

    /// Writes `text` to `file` atomically.
    public func write(_ text: String, to file: URL) throws {
        do {
            try Data(text.utf8).write(to: file, options: .atomic)
        } catch {
            throw TrainingError(file.path, "cannot be written: \(FileErrorReason.of(error))")
        }
    }
}
