import CadenceTensor
import CadenceVideo
import Foundation

/// The unlabelled videos of a speediness run: every video file under a folder, recursively, with
/// `DIR/val/` (when present) or a seeded `validationFraction` of the videos held out for validation.
/// Videos too short for a sped-up clip are left out with a note.
public struct SpeedinessDataset: Sendable, Equatable {
    public var train: [String]
    public var validation: [String]
    /// Videos left out, with the reason.
    public var skipped: [SkippedVideo]

    public init(train: [String], validation: [String], skipped: [SkippedVideo] = []) {
        self.train = train
        self.validation = validation
        self.skipped = skipped
    }

    /// Source frames a `frames`-frame sped-up clip needs at least (the largest skip factor's span).
    public static func minimumFrames(frames: Int) -> Int {
        Int((Double(frames) * SpeedinessSampling.spedUpFactors.upperBound).rounded(.up))
    }

    /// Scans `root`. Each video is opened once to count its frames; unreadable ones are left out too.
    public static func scan(root: String, frames: Int, validationFraction: Double, seed: UInt64) throws -> SpeedinessDataset {
        guard validationFraction >= 0 && validationFraction < 1 else {
            throw TrainingError("--val-fraction", "must be in [0, 1), got \(validationFraction)")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw TrainingError(root, "no such folder")
        }
        let valRoot = (root as NSString).appendingPathComponent("val")
        let all = videos(under: root)
        var validation = all.filter { $0.hasPrefix(valRoot + "/") }
        var train = all.filter { !$0.hasPrefix(valRoot + "/") }
        var skipped: [SkippedVideo] = []
        let needed = minimumFrames(frames: frames)
        func usable(_ path: String) -> Bool {
            do {
                let count = try VideoReader(path: path, threads: 1).frameIndex().count
                if count >= needed { return true }
                skipped.append(SkippedVideo(path: path, reason: "\(count) frames, fewer than the \(needed) a sped-up clip needs"))
            } catch {
                skipped.append(SkippedVideo(path: path, reason: (error as? VideoError)?.cause ?? "\(error)"))
            }
            return false
        }
        train = train.filter(usable)
        validation = validation.filter(usable)
        if validation.isEmpty && validationFraction > 0 && train.count >= 2 {
            var generator = TensorRandom(seed: seed)
            let held = Set(train.shuffled(using: &generator).prefix(max(1, Int((Double(train.count) * validationFraction).rounded()))))
            validation = train.filter(held.contains)
            train = train.filter { !held.contains($0) }
        }
        guard !train.isEmpty else { throw TrainingError(root, "has no training video long enough for a sped-up clip") }
        return SpeedinessDataset(train: train, validation: validation, skipped: skipped)
    }

    /// Video files (by extension, any case) under `root`, recursively, sorted; hidden entries skipped.
    static func videos(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { walker.skipDescendants(); continue }
            let ext = (name as NSString).pathExtension.lowercased()
            guard VideoDataset.videoExtensions.contains(ext) else { continue }
            found.append((root as NSString).appendingPathComponent(relative))
        }
        return found.sorted()
    }
}
