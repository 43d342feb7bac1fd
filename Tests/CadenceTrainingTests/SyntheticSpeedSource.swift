import CadenceTensor
import CadenceVideo
import Foundation
@testable import CadenceTraining

/// An in-memory source for speediness tests: every "video" is a sinusoidal grating drifting 3 pixels
/// per source frame (its phase set by the video index), and a clip takes the source frames the
/// request's timing picks (`SpeedinessSampling`), so sped-up clips really drift faster. No decoding.
final class SyntheticSpeedSource: ClipSource {
    private var batches: [[ClipRequest]]
    let skipped: [SkippedVideo] = []
    /// Frames every synthetic video has.
    static let videoFrames = 120

    init(batches: [[ClipRequest]]) {
        self.batches = batches
    }

    static func indices(_ request: ClipRequest) -> [Int] {
        switch request.timing {
        case let .speedPair(spedUp):
            var generator = TensorRandom(seed: request.seed)
            guard let pair = SpeedinessSampling.trainingPair(videoFrames: videoFrames, frames: request.frames, using: &generator) else { return [] }
            return spedUp ? pair.spedUp : pair.normal
        case let .retimed(index, count, factor):
            let span = SpeedinessSampling.windowSpan(frames: request.frames, factor: factor)
            return SpeedinessSampling.retimedWindow(position: (videoFrames - span) * index / count, frames: request.frames, factor: factor)
        default:
            return []
        }
    }

    func next() throws -> ClipBatch? {
        guard !batches.isEmpty else { return nil }
        let requests = batches.removeFirst()
        let side = requests[0].crop
        var values: [Float] = []
        for request in requests {
            for t in Self.indices(request) {
                for _ in 0..<side {
                    for x in 0..<side {
                        let value = Float(sin(2 * Double.pi * Double(x + 3 * t + 5 * request.video) / 16))
                        values += [value, value, value]
                    }
                }
            }
        }
        return ClipBatch(requests: requests, clips: try Tensor(shape: [requests.count, requests[0].frames, side, side, 3], values: values))
    }

    func cancel() {}

    static let factory: ClipSourceFactory = { _, batches, _, _ in SyntheticSpeedSource(batches: batches) }
}
