import CadenceTensor
import CadenceVideo
import Foundation
@testable import CadenceTraining

/// An in-memory clip source for trainer tests: a clip of class c is noise around +1 in colour
/// channel c and -1 in the others, drawn from the request's seed; no decoding, so tests are fast
/// and the task is learnable. Paths containing "bad" are skipped like undecodable videos.
final class SyntheticClipSource: ClipSource {
    private let labels: [Int]
    private let paths: [String]
    private var batches: [[ClipRequest]]
    private(set) var skipped: [SkippedVideo] = []

    init(paths: [String], batches: [[ClipRequest]]) {
        self.paths = paths
        // Paths look like "<name>-class<k>".
        labels = paths.map { Int($0.split(separator: "class").last ?? "0") ?? 0 }
        self.batches = batches
    }

    func next() throws -> ClipBatch? {
        guard !batches.isEmpty else { return nil }
        var requests = batches.removeFirst()
        for i in requests.indices where paths[requests[i].video].contains("bad") {
            let path = paths[requests[i].video]
            if !skipped.contains(where: { $0.path == path }) { skipped.append(SkippedVideo(path: path, reason: "synthetic bad video")) }
            if let good = paths.firstIndex(where: { !$0.contains("bad") }) { requests[i].video = good }
        }
        guard let first = requests.first else { return try next() }
        let clips = try requests.map { request -> Tensor in
            var generator = TensorRandom(seed: request.seed &+ UInt64(request.video))
            let noise = Tensor.randomNormal([request.frames, first.crop, first.crop, 3], std: 0.5, using: &generator)
            let sign = (0..<3).map { $0 == labels[request.video] ? Float(1) : -1 }
            let pattern = try Tensor(shape: [1, 1, 1, 3], values: sign)
            return try (noise + pattern).reshape([1, request.frames, first.crop, first.crop, 3])
        }
        return ClipBatch(requests: requests, clips: try Tensor.concat(clips, axis: 0))
    }

    func cancel() {}

    static let factory: ClipSourceFactory = { paths, batches, _, _ in
        SyntheticClipSource(paths: paths, batches: batches)
    }
}

/// A small, fast configuration: X3D-XS at 4 frames and a 32-pixel crop, batches of 4.
func tinyConfiguration(epochs: Int = 3) throws -> TrainingConfiguration {
    var c = TrainingConfiguration(preset: try ModelPreset.named("x3d_xs"), epochs: epochs, batchSize: 4)
    c.crop = 32
    c.testCrop = 32
    c.jitter = [32, 40]
    c.learningRate = 0.05
    c.seed = 7
    return c
}

func syntheticVideos(_ count: Int, prefix: String) -> [LabeledVideo] {
    (0..<count).map { LabeledVideo(path: "\(prefix)\($0)-class\($0 % 2)", label: $0 % 2) }
}

func temporaryFolder(_ name: String) -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(name)-\(UUID().uuidString)")
    return url.path
}
