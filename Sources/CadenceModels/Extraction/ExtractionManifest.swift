import CadenceNN
import Foundation

/// What an extraction run was asked to compute; a rerun into the same folder must ask for the same.
public struct ExtractionSettings: Codable, Sendable, Equatable {
    public var model: String
    public var weightsSHA256: String
    public var layer: String
    /// Uniform clips per video, or nil with `every`.
    public var clips: Int?
    /// Seconds between clip starts, or nil with `clips`.
    public var every: Double?
    public var crop: Int
    public var trainCrop: Int
    public var format: String
    /// The token pooling applied to each clip's map, e.g. `slowfast slow=10 pool=1x2 max fast=all grid=4x4 avg`.
    public var tokens: String?

    public init(model: String, weightsSHA256: String, layer: String, clips: Int?, every: Double? = nil, crop: Int, trainCrop: Int,
                format: String, tokens: String?) {
        self.model = model
        self.weightsSHA256 = weightsSHA256
        self.layer = layer
        self.clips = clips
        self.every = every
        self.crop = crop
        self.trainCrop = trainCrop
        self.format = format
        self.tokens = tokens
    }
}

/// `manifest.json` of an extraction folder: the settings and, per video, whether it is done (with the
/// files written, relative to the folder) or failed (with the reason).
public struct ExtractionManifest: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case done, failed }

    public struct Entry: Codable, Sendable, Equatable {
        public var path: String
        public var status: Status
        public var files: [String]
        public var reason: String?

        public init(path: String, status: Status, files: [String] = [], reason: String? = nil) {
            self.path = path
            self.status = status
            self.files = files
            self.reason = reason
        }
    }

    public var settings: ExtractionSettings
    /// Keyed by the item's output name.
    public var videos: [String: Entry]

    public init(settings: ExtractionSettings, videos: [String: Entry] = [:]) {
        self.settings = settings
        self.videos = videos
    }

    /// The manifest file name: `manifest.json`, or one per shard (`manifest.shard-i-of-n.json`) so that
    /// shards running at once into one folder never overwrite each other's record.
    public static func fileName(shard: (index: Int, count: Int)?) -> String {
        guard let shard, shard.count > 1 else { return "manifest.json" }
        return "manifest.shard-\(shard.index)-of-\(shard.count).json"
    }

    /// Reads the manifest at `url`, or nil when there is none yet.
    public static func read(_ url: URL) throws -> ExtractionManifest? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(ExtractionManifest.self, from: Data(contentsOf: url))
        } catch {
            throw ModelError(url.path, "unreadable extraction manifest: \(error)")
        }
    }

    /// Writes the manifest atomically (temporary file renamed into place), keys sorted.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw ModelError(url.path, "cannot write the extraction manifest: \(FileErrorReason.of(error))")
        }
    }

    /// Whether `item` is finished under `folder`: recorded as done and every recorded file present.
    /// Outputs are renamed into place only when complete, so a present file is a whole file.
    public func isComplete(_ item: ExtractionItem, in folder: URL) -> Bool {
        guard let entry = videos[item.name], entry.status == .done, entry.path == item.path, !entry.files.isEmpty else {
            return false
        }
        return entry.files.allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }
}
