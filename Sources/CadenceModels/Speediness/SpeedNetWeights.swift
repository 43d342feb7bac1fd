import CadenceNN
import Foundation

/// SpeedNet's weights file, the one format `cadence speed` and the trainer share: a safetensors file
/// holding `SpeedNet.stateDict()` (float32, PySlowFast-style X3D keys plus `head.projection.*`) with
/// two metadata entries:
/// - `format`: `cadence.speednet.v1`
/// - `speednet.config`: `SpeedNetConfig` as JSON (backbone widths, window frames, input size,
///   normalisation), so a file is loaded with no other flags.
public enum SpeedNetWeights {
    public static let formatKey = "format"
    public static let formatValue = "cadence.speednet.v1"
    public static let configKey = "speednet.config"

    /// Writes `model`'s weights and configuration to `url` atomically; `metadata` adds entries
    /// (for example how it was trained).
    public static func write(_ model: SpeedNet, to url: URL, metadata: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var entries = metadata
        entries[formatKey] = formatValue
        entries[configKey] = String(decoding: try encoder.encode(model.config), as: UTF8.self)
        try SafetensorsFile.write(model.stateDict(), metadata: entries, to: url)
    }

    /// The configuration stored in a SpeedNet weights file.
    public static func config(in contents: SafetensorsFile.Contents, path: String) throws -> SpeedNetConfig {
        guard contents.metadata[formatKey] == formatValue, let json = contents.metadata[configKey] else {
            throw ModelError(path, "not a SpeedNet weights file (needs metadata \(formatKey)=\(formatValue) and \(configKey))")
        }
        do {
            return try JSONDecoder().decode(SpeedNetConfig.self, from: Data(json.utf8))
        } catch {
            throw ModelError(path, "unreadable \(configKey) metadata: \(error)")
        }
    }

    /// Builds the SpeedNet described by the file at `url` and loads its weights strictly.
    public static func read(_ url: URL) throws -> SpeedNet {
        let contents = try SafetensorsFile.read(url)
        let model = try SpeedNet(try config(in: contents, path: url.path))
        try model.load(contents.tensors, strict: true, source: url.path)
        return model
    }
}
